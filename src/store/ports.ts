// The store's role interfaces: what the domain layer (src/core) may ask of storage.
// One SQL implementation (src/store/sql) serves them on SQLite and PostgreSQL; the blob store
// (src/store/blob) keeps message bodies, content-addressed. Nothing here knows about a protocol.
//
// Conventions: times are integer milliseconds since the epoch; names (domains, local parts) are
// stored normalised (lower-case, punycode domains) by the caller; ids are positive integers.

export type Dialect = 'sqlite' | 'postgres';

/** Dialect differences the layers above may need to know about, as flags rather than `if (pg)`. */
export interface Capabilities {
  /** INSERT/UPDATE ... RETURNING works. */
  readonly returning: boolean;
  /** SELECT ... FOR UPDATE SKIP LOCKED exists (queue leases shared by several processes). */
  readonly skipLocked: boolean;
  /** Only one writer at a time (SQLite): long write transactions block everyone. */
  readonly singleWriter: boolean;
  /** Several server processes may share this store (PostgreSQL), so in-process caches must not be trusted. */
  readonly sharedAcrossHosts: boolean;
}

// ---------------------------------------------------------------------------------------------
// Directory: organisations -> mail services -> domains and addresses.

export type PlanName = 'starter' | 'premium';

export interface OrgRecord {
  id: number;
  name: string;
  createdAt: number;
}

export interface ServiceRecord {
  id: number;
  orgId: number;
  /** Human name of the mail service; defaults to its first primary domain. */
  name: string;
  plan: PlanName;
  createdAt: number;
}

export interface DomainRecord {
  id: number;
  serviceId: number;
  /** ASCII (punycode) lower-case form. */
  name: string;
  isPrimary: boolean;
  dkimSelector: string;
  /** PEM (PKCS#8) private key used to sign outgoing mail of this domain. */
  dkimPrivateKey: string;
  /** Base64 SubjectPublicKeyInfo, as published in the DKIM TXT record. */
  dkimPublicKey: string;
  createdAt: number;
}

/** A mailbox address has storage and a password; a redirect address only forwards. */
export type AddressKind = 'mailbox' | 'redirect';
export type AddressState = 'active' | 'suspended';

export interface AddressRecord {
  id: number;
  serviceId: number;
  /** Normalised local part (lower-case NFC); the address answers on every domain of the service. */
  localPart: string;
  kind: AddressKind;
  displayName: string;
  /** Encoded password hash (see core/security/password.ts); null = cannot log in. */
  passwordHash: string | null;
  /** Bytes; 0 means unlimited. */
  quotaBytes: number;
  usedBytes: number;
  state: AddressState;
  /** With forwarding targets set: keep a local copy too. */
  forwardKeepCopy: boolean;
  /** An admin may take the right to edit sorting rules away. */
  canManageRules: boolean;
  createdAt: number;
}

export interface AliasRecord {
  id: number;
  serviceId: number;
  addressId: number;
  localPart: string;
  createdAt: number;
}

/** 'redirect' targets belong to a redirect address, 'forward' targets to a mailbox address. */
export type TargetKind = 'redirect' | 'forward';

export interface NewAddress {
  serviceId: number;
  localPart: string;
  kind: AddressKind;
  displayName: string;
  passwordHash: string | null;
  quotaBytes: number;
}

export type AddressPatch = Partial<
  Pick<
    AddressRecord,
    | 'localPart'
    | 'displayName'
    | 'passwordHash'
    | 'quotaBytes'
    | 'state'
    | 'forwardKeepCopy'
    | 'canManageRules'
  >
>;

export interface DirectoryStore {
  createOrg(name: string): Promise<OrgRecord>;
  findOrgByName(name: string): Promise<OrgRecord | undefined>;

  createService(s: { orgId: number; name: string; plan: PlanName }): Promise<ServiceRecord>;
  getService(id: number): Promise<ServiceRecord | undefined>;
  listServices(): Promise<ServiceRecord[]>;
  setServicePlan(id: number, plan: PlanName): Promise<void>;
  deleteService(id: number): Promise<void>;

  createDomain(d: Omit<DomainRecord, 'id' | 'createdAt'>): Promise<DomainRecord>;
  findDomain(name: string): Promise<DomainRecord | undefined>;
  listDomains(serviceId?: number): Promise<DomainRecord[]>;
  /** Makes `domainId` the service's only primary domain; the former primary becomes linked. */
  setPrimaryDomain(serviceId: number, domainId: number): Promise<void>;
  deleteDomain(id: number): Promise<void>;

  createAddress(a: NewAddress): Promise<AddressRecord>;
  getAddress(id: number): Promise<AddressRecord | undefined>;
  findAddress(serviceId: number, localPart: string): Promise<AddressRecord | undefined>;
  listAddresses(serviceId?: number): Promise<AddressRecord[]>;
  countAddresses(serviceId: number, kind?: AddressKind): Promise<number>;
  updateAddress(id: number, patch: AddressPatch): Promise<void>;
  /** Adds `delta` bytes (may be negative) to the address's used size. */
  addUsedBytes(id: number, delta: number): Promise<void>;
  /** Removes the address with its aliases, targets, mailboxes, messages and scripts. */
  deleteAddress(id: number): Promise<void>;

  createAlias(a: { serviceId: number; addressId: number; localPart: string }): Promise<AliasRecord>;
  findAlias(serviceId: number, localPart: string): Promise<AliasRecord | undefined>;
  listAliases(filter: { serviceId?: number; addressId?: number }): Promise<AliasRecord[]>;
  deleteAlias(id: number): Promise<void>;

  /** Replaces the address's targets of that kind, keeping their order. */
  setTargets(addressId: number, kind: TargetKind, targets: string[]): Promise<void>;
  listTargets(addressId: number, kind: TargetKind): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------
// Mail: folders and messages of one address, with UIDs, modseqs and a change feed.

export type SpecialUse = '\\Sent' | '\\Drafts' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface MailboxRecord {
  id: number;
  addressId: number;
  /** Full UTF-8 name with '/' as hierarchy separator; INBOX is always "INBOX". */
  name: string;
  specialUse: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  subscribed: boolean;
  createdAt: number;
}

export interface MessageRecord {
  id: number;
  mailboxId: number;
  uid: number;
  modseq: number;
  /** Hex SHA-256 of the raw message: the blob store key. */
  blobHash: string;
  size: number;
  internalDate: number;
  /** System flags (\Seen ...) and keywords, in insertion order, no duplicates. */
  flags: string[];
  savedAt: number;
}

export interface NewMessage {
  mailboxId: number;
  blobHash: string;
  size: number;
  internalDate: number;
  flags: string[];
}

export interface MailboxCounts {
  messages: number;
  unseen: number;
  size: number;
}

export type FlagOp = 'set' | 'add' | 'remove';

export type ChangeKind =
  'append' | 'flags' | 'expunge' | 'mailbox-create' | 'mailbox-delete' | 'mailbox-rename';

/** One row of the change feed: what IMAP IDLE, NOTIFY and the webmail follow, across processes. */
export interface ChangeRecord {
  id: number;
  addressId: number;
  mailboxId: number;
  kind: ChangeKind;
  uid: number | null;
  modseq: number | null;
  at: number;
}

export interface MailStore {
  createMailbox(addressId: number, name: string, specialUse: SpecialUse | null): Promise<MailboxRecord>;
  getMailbox(addressId: number, name: string): Promise<MailboxRecord | undefined>;
  getMailboxById(id: number): Promise<MailboxRecord | undefined>;
  listMailboxes(addressId: number): Promise<MailboxRecord[]>;
  /** Renames one folder (the caller renames children); records a change. */
  renameMailbox(id: number, newName: string): Promise<void>;
  setSubscribed(id: number, subscribed: boolean): Promise<void>;
  setSpecialUse(id: number, specialUse: SpecialUse | null): Promise<void>;
  /** Deletes the folder and its messages; returns the bytes freed. */
  deleteMailbox(id: number): Promise<number>;

  /** Allocates the next UID and modseq, inserts the row, records an 'append' change. */
  appendMessage(m: NewMessage): Promise<MessageRecord>;
  getMessage(mailboxId: number, uid: number): Promise<MessageRecord | undefined>;
  /** Messages in UID order, fromUid <= uid <= toUid, at most `limit`. */
  listMessages(
    mailboxId: number,
    opts?: { fromUid?: number; toUid?: number; limit?: number },
  ): Promise<MessageRecord[]>;
  /** All UIDs in ascending order, cheaply (no flags, no sizes): for sequence-number maps. */
  listUids(mailboxId: number): Promise<number[]>;
  counts(mailboxId: number): Promise<MailboxCounts>;
  /** Messages carrying `flag` (exactly as spelled), in UID order: EXPUNGE's \Deleted without reading every row. */
  messagesWithFlag(mailboxId: number, flag: string): Promise<MessageRecord[]>;
  /** How many messages have uid >= fromUid (STATUS RECENT counts those above the \Recent marker). */
  countFrom(mailboxId: number, fromUid: number): Promise<number>;
  /** The lowest UID without \Seen, or null when every message is seen (IMAP's [UNSEEN n] without a scan). */
  firstUnseenUid(mailboxId: number): Promise<number | null>;
  /**
   * Changes flags of the given UIDs. With `unchangedSince`, rows whose modseq is higher are left alone
   * and returned in `conflicts` (CONDSTORE). Each changed row gets a new modseq and a 'flags' change.
   */
  setFlags(
    mailboxId: number,
    uids: number[],
    op: FlagOp,
    flags: string[],
    unchangedSince?: number,
  ): Promise<{ updated: MessageRecord[]; conflicts: number[] }>;
  /** Removes the rows, returns what was removed; records 'expunge' changes and tombstones for QRESYNC. */
  expunge(mailboxId: number, uids: number[]): Promise<MessageRecord[]>;
  /** UIDs expunged with a modseq above `modseq` (QRESYNC VANISHED). */
  expungedSince(mailboxId: number, modseq: number): Promise<number[]>;
  /** Copies messages (same blobs) into another folder; returns [sourceUid, newUid] pairs in order. */
  copyMessages(fromMailboxId: number, uids: number[], toMailboxId: number): Promise<Array<[number, number]>>;

  /** Change feed rows with id > afterId, oldest first, at most `limit`. */
  changesSince(afterId: number, filter?: { addressId?: number }, limit?: number): Promise<ChangeRecord[]>;
  latestChangeId(): Promise<number>;
  /** Drops feed rows older than `before` (tombstones for QRESYNC are kept separately). */
  pruneChanges(before: number): Promise<number>;
  /**
   * Forgets QRESYNC tombstones of expunges older than `before` (call before pruneChanges with the
   * same cutoff); `expungedSince` from before them then answers a superset: every absent UID.
   */
  pruneTombstones(before: number): Promise<number>;
  /** Hashes of blobs no message row references any more (for the blob collector). */
  isBlobReferenced(hash: string): Promise<boolean>;
}

// ---------------------------------------------------------------------------------------------
// Blobs: message bodies stored once, content-addressed, durable before any row references them.

export interface BlobStore {
  /** Writes (if absent) and fsyncs the content; returns its hex SHA-256 and size. Idempotent. */
  put(data: Uint8Array): Promise<{ hash: string; size: number }>;
  /**
   * True when a body of `size` bytes is kept in the SQL database: put() then joins the caller's
   * transaction (its commit makes the body durable with the rows pointing at it, no file fsyncs), so
   * call it inside `store.transaction`. Otherwise put() writes and fsyncs a file: call it before
   * the transaction, never while holding the database's write lock.
   */
  joinsTransactions(size: number): boolean;
  get(hash: string): Promise<Buffer>;
  has(hash: string): Promise<boolean>;
  delete(hash: string): Promise<void>;
  /** Every stored hash (for integrity checks and garbage collection). */
  list(): AsyncIterable<string>;
}

// ---------------------------------------------------------------------------------------------
// Outbound queue: one row per recipient, leased by a worker, so several processes can share it.

export type QueueStatus = 'queued' | 'delivered' | 'failed';

export interface QueueItem {
  id: number;
  /** Groups the rows of one submitted message. */
  envelopeId: string;
  /** Envelope sender; '' is the null sender (bounces). */
  sender: string;
  recipient: string;
  /** Recipient's domain, for grouping deliveries per MX. */
  domain: string;
  blobHash: string;
  size: number;
  status: QueueStatus;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastError: string | null;
  /** Set once the 4-hour delay notice was sent. */
  delayNotified: boolean;
  /** Free-form JSON: DSN parameters, the local address it came from, SRS, ... */
  meta: Record<string, unknown>;
  leaseOwner: string | null;
  leaseUntil: number | null;
}

export type NewQueueItem = Pick<
  QueueItem,
  'envelopeId' | 'sender' | 'recipient' | 'domain' | 'blobHash' | 'size' | 'nextAttemptAt' | 'meta'
>;

export interface QueueStore {
  enqueue(items: NewQueueItem[]): Promise<QueueItem[]>;
  /** Leases up to `limit` due rows (status queued, next_attempt_at <= now, lease free or expired). */
  lease(owner: string, now: number, leaseMs: number, limit: number): Promise<QueueItem[]>;
  /** Updates a leased row and frees the lease; refused (false) if the caller no longer holds it. */
  finish(
    id: number,
    owner: string,
    patch: Partial<Pick<QueueItem, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'delayNotified'>>,
  ): Promise<boolean>;
  get(id: number): Promise<QueueItem | undefined>;
  list(filter?: { status?: QueueStatus; limit?: number }): Promise<QueueItem[]>;
  /** Makes a queued row due now (admin "retry"). */
  retryNow(id: number, now: number): Promise<boolean>;
  delete(id: number): Promise<boolean>;
  /** Whether any row (in any status but 'delivered'/'failed') still needs the blob. */
  isBlobReferenced(hash: string): Promise<boolean>;
  /** Removes finished rows older than `before`. */
  purgeFinished(before: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Sieve scripts: at most one active script per address.

export interface SieveScriptRecord {
  addressId: number;
  name: string;
  source: string;
  active: boolean;
  updatedAt: number;
}

export interface SieveStore {
  put(addressId: number, name: string, source: string): Promise<void>;
  get(addressId: number, name: string): Promise<SieveScriptRecord | undefined>;
  list(addressId: number): Promise<SieveScriptRecord[]>;
  delete(addressId: number, name: string): Promise<boolean>;
  rename(addressId: number, from: string, to: string): Promise<boolean>;
  /** Activates `name` (deactivating any other), or deactivates all with null. */
  setActive(addressId: number, name: string | null): Promise<void>;
  getActive(addressId: number): Promise<SieveScriptRecord | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Key-value with expiry: rate counters, vacation and duplicate memories, bans.

export interface KvStore {
  get(ns: string, key: string, now?: number): Promise<string | undefined>;
  set(ns: string, key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets only if absent (or expired); returns whether it was set. */
  setIfAbsent(ns: string, key: string, value: string, ttlMs?: number): Promise<boolean>;
  delete(ns: string, key: string): Promise<void>;
  /**
   * Sets `value` only if the current (unexpired) value is `expected` — `undefined` meaning absent —
   * in one atomic statement; returns whether it was set. Keeps the row's expiry.
   */
  compareAndSet(ns: string, key: string, expected: string | undefined, value: string): Promise<boolean>;
  /** Atomically adds `by` to an integer counter (created at 0 with the given ttl) and returns the new value. */
  incr(ns: string, key: string, by: number, ttlMs?: number): Promise<number>;
  purgeExpired(now: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Per-address mail log: append-only events, kept for a retention period.

export type MailLogDirection = 'in' | 'out' | 'local';

export interface MailLogEvent {
  at: number;
  /** The address concerned (canonical form), lower-case. */
  address: string;
  direction: MailLogDirection;
  /** Message-ID header value or our queue/envelope id. */
  messageId: string;
  /** received | delivered | rejected | queued | deferred | sent | bounced | filtered | ... */
  event: string;
  detail: Record<string, unknown>;
}

export interface MailLogRecord extends MailLogEvent {
  id: number;
}

export interface MailLogStore {
  append(events: MailLogEvent[]): Promise<void>;
  query(filter: {
    address?: string;
    messageId?: string;
    since?: number;
    until?: number;
    limit?: number;
  }): Promise<MailLogRecord[]>;
  purgeOlderThan(before: number): Promise<number>;
}

// ---------------------------------------------------------------------------------------------

export interface TransactionOptions {
  /**
   * false: the commit may be reported before it is on stable storage — atomic and isolated as any
   * other, on disk a few milliseconds later (every later durable commit covers it), but a power loss
   * in that window can take it back. For state nobody was promised the way a stored message is
   * promised: flags, \Recent claims, keyword lists, expunges (Dovecot does not fsync these either).
   * Whatever acts outside the database on such a commit (deleting a body no row refers to any more)
   * must first make a durable commit, which covers every commit before it, or wait far longer than
   * an fsync takes (the blob collector's grace period is an hour).
   */
  durable?: boolean;
}

/** The role stores, as seen inside or outside a transaction. */
export interface StoreRoles {
  /** Bodies; through a transaction's roles, a body kept in the database is written inside it. */
  readonly blobs: BlobStore;
  readonly directory: DirectoryStore;
  readonly mail: MailStore;
  readonly queue: QueueStore;
  readonly sieve: SieveStore;
  readonly kv: KvStore;
  readonly mailLog: MailLogStore;
}

export interface Store extends StoreRoles {
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  /**
   * Runs `fn` in one database transaction: all or nothing. Calls made through `tx` are part of it;
   * `fn` must not use the store's own roles or call `transaction` again (they are not part of it,
   * and on SQLite they would wait for the connection the transaction holds): pass `tx` down instead.
   */
  transaction<T>(fn: (tx: StoreRoles) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** Integrity check of the engine (SQLite: PRAGMA integrity_check); returns problems found. */
  checkIntegrity(): Promise<string[]>;
  close(): Promise<void>;
}

/** Errors the store raises that the domain maps to its own (everything else is unexpected). */
export class StoreConflictError extends Error {
  constructor(
    message: string,
    readonly constraint: string,
  ) {
    super(message);
    this.name = 'StoreConflictError';
  }
}
