// Folders and messages: UID/modseq allocation on the mailbox row, QRESYNC tombstones and the change feed.
//
// Every write first takes the mailbox row (FOR UPDATE on PostgreSQL; SQLite holds the write lock since
// BEGIN IMMEDIATE), so reads of message rows that decide an update cannot race another writer.
// One operation (an append, a STORE, an EXPUNGE, a COPY) uses one new modseq for all rows it changes.
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type {
  ChangeKind,
  ChangeRecord,
  FlagOp,
  MailboxCounts,
  MailboxRecord,
  MailStore,
  MessageRecord,
  NewMessage,
  SpecialUse,
} from '../ports.js';
import type { Exec, PendingChange } from './context.js';
import { prepared } from './prepared.js';
import { applyFlagOp, hasSeen, sameFlagSet, uniqueFlags } from './flags.js';
import { affected, chunks, ID_CHUNK, parseJsonStrings, toBool, toInt } from './rows.js';
import type { ChangesTable, Database, MailboxesTable, MessagesTable } from './schema.js';
import { absentUids, FLOOR_UID, pruneTombstones } from './tombstones.js';

const INSERT_CHUNK = 500;
/** UIDVALIDITY is a non-zero 32-bit unsigned number (RFC 3501 §2.3.1.1). */
const MAX_UID_VALIDITY = 0xffff_ffff;

const toMailbox = (r: Selectable<MailboxesTable>): MailboxRecord => ({
  id: r.id,
  addressId: r.address_id,
  name: r.name,
  specialUse: r.special_use as SpecialUse | null,
  uidValidity: r.uid_validity,
  uidNext: r.uid_next,
  highestModseq: r.highest_modseq,
  subscribed: toBool(r.subscribed),
  createdAt: r.created_at,
});

const toMessage = (r: Selectable<MessagesTable>): MessageRecord => ({
  id: r.id,
  mailboxId: r.mailbox_id,
  uid: r.uid,
  modseq: r.modseq,
  blobHash: r.blob_hash,
  size: r.size,
  internalDate: r.internal_date,
  flags: parseJsonStrings(r.flags),
  savedAt: r.saved_at,
});

// The reads every IMAP command makes (selected-state sync, FETCH, SELECT, STATUS), compiled once.
const mailboxById = prepared((db, id: number) => db.selectFrom('mailboxes').selectAll().where('id', '=', id));
const mailboxByName = prepared((db, addressId: number, name: string) =>
  db.selectFrom('mailboxes').selectAll().where('address_id', '=', addressId).where('name', '=', name),
);
const mailboxesOf = prepared((db, addressId: number) =>
  db.selectFrom('mailboxes').selectAll().where('address_id', '=', addressId).orderBy('name'),
);
const messageByUid = prepared((db, mailboxId: number, uid: number) =>
  db.selectFrom('messages').selectAll().where('mailbox_id', '=', mailboxId).where('uid', '=', uid),
);
const messagesFrom = prepared((db, mailboxId: number, fromUid: number) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('mailbox_id', '=', mailboxId)
    .where('uid', '>=', fromUid)
    .orderBy('uid'),
);
const messagesFromLimit = prepared((db, mailboxId: number, fromUid: number, limit: number) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('mailbox_id', '=', mailboxId)
    .where('uid', '>=', fromUid)
    .orderBy('uid')
    .limit(limit),
);
const messagesBetween = prepared((db, mailboxId: number, fromUid: number, toUid: number) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('mailbox_id', '=', mailboxId)
    .where('uid', '>=', fromUid)
    .where('uid', '<=', toUid)
    .orderBy('uid'),
);
const messagesBetweenLimit = prepared(
  (db, mailboxId: number, fromUid: number, toUid: number, limit: number) =>
    db
      .selectFrom('messages')
      .selectAll()
      .where('mailbox_id', '=', mailboxId)
      .where('uid', '>=', fromUid)
      .where('uid', '<=', toUid)
      .orderBy('uid')
      .limit(limit),
);
const uidsOf = prepared((db, mailboxId: number) =>
  db.selectFrom('messages').select('uid').where('mailbox_id', '=', mailboxId).orderBy('uid'),
);
const countsOf = prepared((db, mailboxId: number) =>
  db
    .selectFrom('messages')
    .select([
      sql<number>`count(*)`.as('messages'),
      sql<number>`cast(coalesce(sum(seen), 0) as bigint)`.as('seen'),
      sql<number>`cast(coalesce(sum(size), 0) as bigint)`.as('size'),
    ])
    .where('mailbox_id', '=', mailboxId),
);
const countFromUid = prepared((db, mailboxId: number, fromUid: number) =>
  db
    .selectFrom('messages')
    .select(sql<number>`count(*)`.as('n'))
    .where('mailbox_id', '=', mailboxId)
    .where('uid', '>=', fromUid),
);
// `flags` is the JSON text of the list, so a row holding the flag contains its JSON spelling; the
// database's lower() on both sides keeps that a substring (LIKE is case-insensitive on SQLite only).
// Rows that only match here (another case, inside a longer keyword) are dropped by the caller.
const flagLike = prepared((db, mailboxId: number, pattern: string) =>
  db
    .selectFrom('messages')
    .selectAll()
    .where('mailbox_id', '=', mailboxId)
    .where(sql<boolean>`lower(flags) like lower(${pattern}) escape '!'`)
    .orderBy('uid'),
);
// Walks the (mailbox_id, uid) index in UID order and stops at the first unseen row.
const firstUnseen = prepared((db, mailboxId: number) =>
  db
    .selectFrom('messages')
    .select('uid')
    .where('mailbox_id', '=', mailboxId)
    .where('seen', '=', 0)
    .orderBy('uid')
    .limit(1),
);
const changesOfAddress = prepared((db, afterId: number, addressId: number, limit: number) =>
  db
    .selectFrom('changes')
    .selectAll()
    .where('id', '>', afterId)
    .where('address_id', '=', addressId)
    .orderBy('id')
    .limit(limit),
);
// Every write takes the mailbox row first (see the top of this file), and every append allocates.
const mailboxForWrite = prepared((db, id: number) =>
  db.selectFrom('mailboxes').selectAll().where('id', '=', id),
);
const mailboxForUpdate = prepared((db, id: number) =>
  db.selectFrom('mailboxes').selectAll().where('id', '=', id).forUpdate(),
);
const allocateUids = prepared((db, mailboxId: number, count: number) =>
  db
    .updateTable('mailboxes')
    .set((eb) => ({ uid_next: eb('uid_next', '+', count), highest_modseq: eb('highest_modseq', '+', 1) }))
    .where('id', '=', mailboxId)
    .returning(['address_id', 'uid_next', 'highest_modseq']),
);
const setHighestModseq = prepared((db, mailboxId: number, modseq: number) =>
  db.updateTable('mailboxes').set({ highest_modseq: modseq }).where('id', '=', mailboxId),
);
const insertMessage = prepared(
  (
    db,
    mailboxId: number,
    uid: number,
    modseq: number,
    blobHash: string,
    size: number,
    internalDate: number,
    flags: string,
    seen: number,
    savedAt: number,
  ) =>
    db
      .insertInto('messages')
      .values({
        mailbox_id: mailboxId,
        uid,
        modseq,
        blob_hash: blobHash,
        size,
        internal_date: internalDate,
        flags,
        seen,
        saved_at: savedAt,
      })
      .returningAll(),
);
const setMessageFlags = prepared(
  (db, mailboxId: number, uid: number, flags: string, seen: number, modseq: number) =>
    db
      .updateTable('messages')
      .set({ flags, seen, modseq })
      .where('mailbox_id', '=', mailboxId)
      .where('uid', '=', uid),
);
const deleteMessage = prepared((db, mailboxId: number, uid: number) =>
  db.deleteFrom('messages').where('mailbox_id', '=', mailboxId).where('uid', '=', uid),
);
const insertTombstone = prepared((db, mailboxId: number, uid: number, modseq: number) =>
  db.insertInto('expunged').values({ mailbox_id: mailboxId, uid, modseq }),
);
const lastChange = prepared((db) => db.selectFrom('changes').select(sql<number | null>`max(id)`.as('id')));

const toChange = (r: Selectable<ChangesTable>): ChangeRecord => ({
  id: r.id,
  addressId: r.address_id,
  mailboxId: r.mailbox_id,
  kind: r.kind as ChangeKind,
  uid: r.uid,
  modseq: r.modseq,
  at: r.at,
});

export class SqlMailStore implements MailStore {
  constructor(private readonly x: Exec) {}

  /** The mailbox row, locked against other writers until the transaction ends. */
  private async lockMailbox(
    db: Kysely<Database>,
    id: number,
  ): Promise<Selectable<MailboxesTable> | undefined> {
    const q = this.x.engine.capabilities.singleWriter ? mailboxForWrite : mailboxForUpdate;
    const [r] = (await q.execute(this.x.engine, db, id)).rows;
    return r;
  }

  /** Reserves `count` UIDs and one new modseq; returns the first UID and the modseq. */
  private async allocate(
    db: Kysely<Database>,
    mailboxId: number,
    count: number,
  ): Promise<{ addressId: number; firstUid: number; modseq: number } | undefined> {
    const [r] = (await allocateUids.execute(this.x.engine, db, mailboxId, count)).rows;
    return r && { addressId: r.address_id, firstUid: r.uid_next - count, modseq: r.highest_modseq };
  }

  /** Seconds since the epoch, but always above any value handed out before (a re-created name must change). */
  private async nextUidValidity(db: Kysely<Database>, now: number): Promise<number> {
    const seconds = Math.floor(now / 1000);
    const r = await db
      .updateTable('counters')
      .set((eb) => ({
        value: eb
          .case()
          .when(eb('value', '+', 1), '>', seconds)
          .then(eb('value', '+', 1))
          .else(seconds)
          .end(),
      }))
      .where('name', '=', 'uid_validity')
      .returning('value')
      .executeTakeFirstOrThrow();
    if (r.value > MAX_UID_VALIDITY) throw new Error('UIDVALIDITY space exhausted');
    return r.value;
  }

  private async messagesByUid(
    db: Kysely<Database>,
    mailboxId: number,
    uids: readonly number[],
  ): Promise<Selectable<MessagesTable>[]> {
    const wanted = [...new Set(uids)].sort((a, b) => a - b);
    const lo = wanted[0];
    const hi = wanted[wanted.length - 1];
    if (lo === undefined || hi === undefined) return [];
    // A dense set (a sequence range, one message) is read as its UID range, a query compiled once,
    // and filtered here: the range holds at most twice the rows asked for. A sparse set goes by IN lists.
    if (hi - lo < 2 * wanted.length && wanted.length <= ID_CHUNK) {
      const take = new Set(wanted);
      const { rows } = await messagesBetween.execute(this.x.engine, db, mailboxId, lo, hi);
      return rows.filter((r) => take.has(r.uid));
    }
    const rows: Selectable<MessagesTable>[] = [];
    for (const part of chunks(wanted, ID_CHUNK)) {
      rows.push(
        ...(await db
          .selectFrom('messages')
          .selectAll()
          .where('mailbox_id', '=', mailboxId)
          .where('uid', 'in', part)
          .execute()),
      );
    }
    return rows.sort((a, b) => a.uid - b.uid);
  }

  private change(
    addressId: number,
    mailboxId: number,
    kind: ChangeKind,
    at: number,
    uid: number | null = null,
    modseq: number | null = null,
  ): PendingChange {
    return { addressId, mailboxId, kind, uid, modseq, at };
  }

  async createMailbox(
    addressId: number,
    name: string,
    specialUse: SpecialUse | null,
  ): Promise<MailboxRecord> {
    return this.x.atomic(async (tx) => {
      const now = Date.now();
      const r = await tx.db
        .insertInto('mailboxes')
        .values({
          address_id: addressId,
          name,
          special_use: specialUse,
          uid_validity: await this.nextUidValidity(tx.db, now),
          uid_next: 1,
          highest_modseq: 1,
          subscribed: 1,
          created_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      tx.recordChanges([this.change(addressId, r.id, 'mailbox-create', now)]);
      return toMailbox(r);
    });
  }

  async getMailbox(addressId: number, name: string): Promise<MailboxRecord | undefined> {
    const [r] = await mailboxByName.rows(this.x, addressId, name);
    return r && toMailbox(r);
  }

  async getMailboxById(id: number): Promise<MailboxRecord | undefined> {
    const [r] = await mailboxById.rows(this.x, id);
    return r && toMailbox(r);
  }

  async listMailboxes(addressId: number): Promise<MailboxRecord[]> {
    return (await mailboxesOf.rows(this.x, addressId)).map(toMailbox);
  }

  async renameMailbox(id: number, newName: string): Promise<void> {
    await this.x.atomic(async (tx) => {
      const r = await tx.db
        .updateTable('mailboxes')
        .set({ name: newName })
        .where('id', '=', id)
        .returning('address_id')
        .executeTakeFirst();
      if (r !== undefined) tx.recordChanges([this.change(r.address_id, id, 'mailbox-rename', Date.now())]);
    });
  }

  async setSubscribed(id: number, subscribed: boolean): Promise<void> {
    await this.x
      .db()
      .updateTable('mailboxes')
      .set({ subscribed: toInt(subscribed) })
      .where('id', '=', id)
      .execute();
  }

  async setSpecialUse(id: number, specialUse: SpecialUse | null): Promise<void> {
    await this.x
      .db()
      .updateTable('mailboxes')
      .set({ special_use: specialUse })
      .where('id', '=', id)
      .execute();
  }

  async deleteMailbox(id: number): Promise<number> {
    return this.x.atomic(async (tx) => {
      const mbox = await this.lockMailbox(tx.db, id);
      if (mbox === undefined) return 0;
      const { bytes } = await tx.db
        .selectFrom('messages')
        .select(sql<number>`cast(coalesce(sum(size), 0) as bigint)`.as('bytes'))
        .where('mailbox_id', '=', id)
        .executeTakeFirstOrThrow();
      await tx.db.deleteFrom('mailboxes').where('id', '=', id).execute();
      tx.recordChanges([this.change(mbox.address_id, id, 'mailbox-delete', Date.now())]);
      return Number(bytes);
    });
  }

  async appendMessage(m: NewMessage): Promise<MessageRecord> {
    return this.x.atomic(async (tx) => {
      const slot = await this.allocate(tx.db, m.mailboxId, 1);
      if (slot === undefined) throw new Error(`mailbox ${m.mailboxId} does not exist`);
      const flags = uniqueFlags(m.flags);
      const now = Date.now();
      const [r] = (
        await insertMessage.execute(
          this.x.engine,
          tx.db,
          m.mailboxId,
          slot.firstUid,
          slot.modseq,
          m.blobHash,
          m.size,
          m.internalDate,
          JSON.stringify(flags),
          toInt(hasSeen(flags)),
          now,
        )
      ).rows;
      if (r === undefined) throw new Error('message insert returned no row');
      tx.recordChanges([this.change(slot.addressId, m.mailboxId, 'append', now, r.uid, r.modseq)]);
      return toMessage(r);
    });
  }

  async getMessage(mailboxId: number, uid: number): Promise<MessageRecord | undefined> {
    const [r] = await messageByUid.rows(this.x, mailboxId, uid);
    return r && toMessage(r);
  }

  async listMessages(
    mailboxId: number,
    opts: { fromUid?: number; toUid?: number; limit?: number } = {},
  ): Promise<MessageRecord[]> {
    // UIDs start at 1: "from 0" is the whole folder.
    const from = opts.fromUid ?? 0;
    const { toUid, limit } = opts;
    const rows =
      toUid === undefined
        ? limit === undefined
          ? await messagesFrom.rows(this.x, mailboxId, from)
          : await messagesFromLimit.rows(this.x, mailboxId, from, limit)
        : limit === undefined
          ? await messagesBetween.rows(this.x, mailboxId, from, toUid)
          : await messagesBetweenLimit.rows(this.x, mailboxId, from, toUid, limit);
    return rows.map(toMessage);
  }

  async listUids(mailboxId: number): Promise<number[]> {
    return (await uidsOf.rows(this.x, mailboxId)).map((r) => r.uid);
  }

  async counts(mailboxId: number): Promise<MailboxCounts> {
    const [r] = await countsOf.rows(this.x, mailboxId);
    const messages = Number(r?.messages ?? 0);
    return { messages, unseen: messages - Number(r?.seen ?? 0), size: Number(r?.size ?? 0) };
  }

  async messagesWithFlag(mailboxId: number, flag: string): Promise<MessageRecord[]> {
    const pattern = `%${JSON.stringify(flag).replace(/[!%_]/g, '!$&')}%`;
    const out: MessageRecord[] = [];
    for (const r of await flagLike.rows(this.x, mailboxId, pattern)) {
      const m = toMessage(r);
      if (m.flags.includes(flag)) out.push(m);
    }
    return out;
  }

  async countFrom(mailboxId: number, fromUid: number): Promise<number> {
    const [r] = await countFromUid.rows(this.x, mailboxId, fromUid);
    return Number(r?.n ?? 0);
  }

  async firstUnseenUid(mailboxId: number): Promise<number | null> {
    const [r] = await firstUnseen.rows(this.x, mailboxId);
    return r ? Number(r.uid) : null;
  }

  async setFlags(
    mailboxId: number,
    uids: number[],
    op: FlagOp,
    flags: string[],
    unchangedSince?: number,
  ): Promise<{ updated: MessageRecord[]; conflicts: number[] }> {
    return this.x.atomic(async (tx) => {
      const mbox = await this.lockMailbox(tx.db, mailboxId);
      if (mbox === undefined || uids.length === 0) return { updated: [], conflicts: [] };
      const conflicts: number[] = [];
      const changed: Array<{ row: Selectable<MessagesTable>; flags: string[] }> = [];
      for (const row of await this.messagesByUid(tx.db, mailboxId, uids)) {
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          conflicts.push(row.uid);
          continue;
        }
        const before = parseJsonStrings(row.flags);
        const after = applyFlagOp(op, before, flags);
        if (!sameFlagSet(before, after)) changed.push({ row, flags: after });
      }
      if (changed.length === 0) return { updated: [], conflicts };

      const modseq = mbox.highest_modseq + 1;
      await setHighestModseq.execute(this.x.engine, tx.db, mailboxId, modseq);
      // A STORE usually gives many rows the same new list: one UPDATE per distinct list, not per row.
      const byList = new Map<string, number[]>();
      for (const c of changed) {
        const text = JSON.stringify(c.flags);
        const list = byList.get(text);
        if (list === undefined) byList.set(text, [c.row.uid]);
        else list.push(c.row.uid);
      }
      for (const [text, group] of byList) {
        const seen = toInt(hasSeen(parseJsonStrings(text)));
        if (group.length === 1) {
          await setMessageFlags.execute(this.x.engine, tx.db, mailboxId, group[0]!, text, seen, modseq);
          continue;
        }
        for (const part of chunks(group, ID_CHUNK)) {
          await tx.db
            .updateTable('messages')
            .set({ flags: text, seen, modseq })
            .where('mailbox_id', '=', mailboxId)
            .where('uid', 'in', part)
            .execute();
        }
      }
      const now = Date.now();
      tx.recordChanges(
        changed.map((c) => this.change(mbox.address_id, mailboxId, 'flags', now, c.row.uid, modseq)),
      );
      return { updated: changed.map((c) => ({ ...toMessage(c.row), flags: c.flags, modseq })), conflicts };
    });
  }

  async expunge(mailboxId: number, uids: number[]): Promise<MessageRecord[]> {
    return this.x.atomic(async (tx) => {
      const mbox = await this.lockMailbox(tx.db, mailboxId);
      if (mbox === undefined || uids.length === 0) return [];
      const rows = await this.messagesByUid(tx.db, mailboxId, uids);
      if (rows.length === 0) return [];
      const modseq = mbox.highest_modseq + 1;
      await setHighestModseq.execute(this.x.engine, tx.db, mailboxId, modseq);
      // One message (the usual EXPUNGE) by statements compiled once; more by lists.
      const only = rows.length === 1 ? rows[0]!.uid : undefined;
      if (only !== undefined) {
        await deleteMessage.execute(this.x.engine, tx.db, mailboxId, only);
        await insertTombstone.execute(this.x.engine, tx.db, mailboxId, only, modseq);
      } else {
        for (const part of chunks(
          rows.map((r) => r.uid),
          ID_CHUNK,
        )) {
          await tx.db
            .deleteFrom('messages')
            .where('mailbox_id', '=', mailboxId)
            .where('uid', 'in', part)
            .execute();
        }
        for (const part of chunks(rows, INSERT_CHUNK)) {
          await tx.db
            .insertInto('expunged')
            .values(part.map((r) => ({ mailbox_id: mailboxId, uid: r.uid, modseq })))
            .execute();
        }
      }
      const now = Date.now();
      tx.recordChanges(
        rows.map((r) => this.change(mbox.address_id, mailboxId, 'expunge', now, r.uid, modseq)),
      );
      return rows.map(toMessage);
    });
  }

  async expungedSince(mailboxId: number, modseq: number): Promise<number[]> {
    const rows = await this.x
      .db()
      .selectFrom('expunged')
      .select('uid')
      .where('mailbox_id', '=', mailboxId)
      .where('modseq', '>', modseq)
      .orderBy('uid')
      .execute();
    // Below the floor of pruned tombstones: a superset (see tombstones.ts).
    if (rows.length > 0 && Number(rows[0]!.uid) === FLOOR_UID) return absentUids(this.x.db(), mailboxId);
    return rows.map((r) => r.uid);
  }

  async copyMessages(
    fromMailboxId: number,
    uids: number[],
    toMailboxId: number,
  ): Promise<Array<[number, number]>> {
    return this.x.atomic(async (tx) => {
      if (uids.length === 0) return [];
      const rows = await this.messagesByUid(tx.db, fromMailboxId, uids);
      if (rows.length === 0) return [];
      const slot = await this.allocate(tx.db, toMailboxId, rows.length);
      if (slot === undefined) throw new Error(`mailbox ${toMailboxId} does not exist`);
      const now = Date.now();
      const pairs = rows.map((r, i): [number, number] => [r.uid, slot.firstUid + i]);
      for (const [start, part] of chunks(rows, INSERT_CHUNK).map((p, i) => [i * INSERT_CHUNK, p] as const)) {
        await tx.db
          .insertInto('messages')
          .values(
            part.map((r, i) => ({
              mailbox_id: toMailboxId,
              uid: slot.firstUid + start + i,
              modseq: slot.modseq,
              blob_hash: r.blob_hash,
              size: r.size,
              internal_date: r.internal_date,
              flags: r.flags,
              seen: r.seen,
              saved_at: now,
            })),
          )
          .execute();
      }
      tx.recordChanges(
        pairs.map(([, uid]) => this.change(slot.addressId, toMailboxId, 'append', now, uid, slot.modseq)),
      );
      return pairs;
    });
  }

  async changesSince(
    afterId: number,
    filter: { addressId?: number } = {},
    limit?: number,
  ): Promise<ChangeRecord[]> {
    // Inside a transaction, its own buffered feed rows are part of what it should see.
    const tx = this.x.current();
    if (tx !== undefined) await tx.flushChanges();
    if (filter.addressId !== undefined && limit !== undefined) {
      const rows = await changesOfAddress.rows(this.x, afterId, filter.addressId, limit);
      return rows.map(toChange);
    }
    let q = this.x.db().selectFrom('changes').selectAll().where('id', '>', afterId);
    if (filter.addressId !== undefined) q = q.where('address_id', '=', filter.addressId);
    q = q.orderBy('id');
    if (limit !== undefined) q = q.limit(limit);
    return (await q.execute()).map(toChange);
  }

  async latestChangeId(): Promise<number> {
    const tx = this.x.current();
    if (tx !== undefined) await tx.flushChanges();
    const [r] = await lastChange.rows(this.x);
    return Number(r?.id ?? 0);
  }

  pruneTombstones(before: number): Promise<number> {
    return pruneTombstones(this.x, before);
  }

  async pruneChanges(before: number): Promise<number> {
    const r = await this.x.db().deleteFrom('changes').where('at', '<', before).executeTakeFirst();
    return affected(r.numDeletedRows);
  }

  async isBlobReferenced(hash: string): Promise<boolean> {
    const r = await this.x
      .db()
      .selectFrom('messages')
      .select('id')
      .where('blob_hash', '=', hash)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }
}
