// Kysely table types of the SQL store. Column names are snake_case as in the DDL
// (migrations/0001-initial.ts); the role stores map rows to the camelCase records of ports.ts.
// Booleans are integers 0/1 and JSON values are text on both engines, so one DDL serves both.
import type { Generated } from 'kysely';

export interface OrgsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
}

export interface ServicesTable {
  id: Generated<number>;
  org_id: number;
  name: string;
  plan: string;
  created_at: number;
}

export interface DomainsTable {
  id: Generated<number>;
  service_id: number;
  name: string;
  is_primary: number;
  dkim_selector: string;
  dkim_private_key: string;
  dkim_public_key: string;
  created_at: number;
}

export interface AddressesTable {
  id: Generated<number>;
  service_id: number;
  local_part: string;
  kind: string;
  display_name: string;
  password_hash: string | null;
  quota_bytes: number;
  used_bytes: number;
  state: string;
  forward_keep_copy: number;
  can_manage_rules: number;
  created_at: number;
}

export interface AliasesTable {
  id: Generated<number>;
  service_id: number;
  address_id: number;
  local_part: string;
  created_at: number;
}

export interface AddressTargetsTable {
  address_id: number;
  kind: string;
  position: number;
  target: string;
}

export interface MailboxesTable {
  id: Generated<number>;
  address_id: number;
  name: string;
  special_use: string | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  subscribed: number;
  created_at: number;
}

export interface MessagesTable {
  id: Generated<number>;
  mailbox_id: number;
  uid: number;
  modseq: number;
  blob_hash: string;
  size: number;
  internal_date: number;
  /** JSON array of flags and keywords. */
  flags: string;
  /** Whether `flags` holds \Seen, kept beside it so unseen counts need no JSON work. */
  seen: number;
  saved_at: number;
}

/** QRESYNC tombstones: which UIDs went away at which modseq. */
export interface ExpungedTable {
  mailbox_id: number;
  uid: number;
  modseq: number;
}

export interface ChangesTable {
  id: Generated<number>;
  address_id: number;
  /** No foreign key: a 'mailbox-delete' row outlives its mailbox. */
  mailbox_id: number;
  kind: string;
  uid: number | null;
  modseq: number | null;
  at: number;
}

export interface QueueTable {
  id: Generated<number>;
  envelope_id: string;
  sender: string;
  recipient: string;
  domain: string;
  blob_hash: string;
  size: number;
  status: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  /** Last time a worker finished with the row: what `purgeFinished` ages rows by. */
  updated_at: number;
  last_error: string | null;
  delay_notified: number;
  /** JSON object. */
  meta: string;
  lease_owner: string | null;
  lease_until: number | null;
}

export interface SieveScriptsTable {
  address_id: number;
  name: string;
  source: string;
  active: number;
  updated_at: number;
}

export interface KvTable {
  ns: string;
  key: string;
  value: string;
  expires_at: number | null;
}

export interface MailLogTable {
  id: Generated<number>;
  at: number;
  address: string;
  direction: string;
  message_id: string;
  event: string;
  /** JSON object. */
  detail: string;
}

/** Message bodies small enough to live in the database (see blob-store.ts); larger ones are files. */
export interface BlobsTable {
  hash: string;
  size: number;
  data: Buffer;
}

/** Named monotonic counters (UIDVALIDITY) that must survive the rows they were handed to. */
export interface CountersTable {
  name: string;
  value: number;
}

export interface Database {
  orgs: OrgsTable;
  services: ServicesTable;
  domains: DomainsTable;
  addresses: AddressesTable;
  aliases: AliasesTable;
  address_targets: AddressTargetsTable;
  mailboxes: MailboxesTable;
  messages: MessagesTable;
  expunged: ExpungedTable;
  changes: ChangesTable;
  queue: QueueTable;
  sieve_scripts: SieveScriptsTable;
  kv: KvTable;
  mail_log: MailLogTable;
  counters: CountersTable;
  blobs: BlobsTable;
}

/**
 * Unique keys by name. The DDL creates them under these names, and SQLite's error message (which
 * names columns, not constraints) is mapped back through this table, so a conflict reports the same
 * `constraint` on both engines.
 */
export const UNIQUE_KEYS = {
  orgs_name_unique: { table: 'orgs', columns: ['name'] },
  domains_name_unique: { table: 'domains', columns: ['name'] },
  addresses_local_part_unique: { table: 'addresses', columns: ['service_id', 'local_part'] },
  aliases_local_part_unique: { table: 'aliases', columns: ['service_id', 'local_part'] },
  address_targets_pkey: { table: 'address_targets', columns: ['address_id', 'kind', 'position'] },
  mailboxes_name_unique: { table: 'mailboxes', columns: ['address_id', 'name'] },
  messages_uid_unique: { table: 'messages', columns: ['mailbox_id', 'uid'] },
  expunged_pkey: { table: 'expunged', columns: ['mailbox_id', 'uid'] },
  sieve_scripts_pkey: { table: 'sieve_scripts', columns: ['address_id', 'name'] },
  kv_pkey: { table: 'kv', columns: ['ns', 'key'] },
  counters_pkey: { table: 'counters', columns: ['name'] },
  blobs_pkey: { table: 'blobs', columns: ['hash'] },
} as const satisfies Record<string, { table: string; columns: readonly string[] }>;

export type UniqueKeyName = keyof typeof UNIQUE_KEYS;
