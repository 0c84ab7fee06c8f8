// Messages of one folder: append (blob first, then rows), copy, move, flags and expunge, with the
// address's quota kept in step. Protocols address messages by UID; sequence numbers are theirs.
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import { registerKeywords } from './keywords.js';
import type { FlagOp, MailboxRecord, MessageRecord, StoreRoles } from '../../store/ports.js';

export interface AppendOptions {
  flags?: string[];
  internalDate?: number;
}

export interface AppendResult {
  mailboxId: number;
  uid: number;
  uidValidity: number;
  message: MessageRecord;
}

async function checkQuota(tx: StoreRoles, addressId: number, extra: number): Promise<void> {
  const addr = await tx.directory.getAddress(addressId);
  if (!addr) throw new MailError('NOT_FOUND', 'Address not found', false, { addressId });
  if (addr.quotaBytes > 0 && addr.usedBytes + extra > addr.quotaBytes) {
    throw new MailError('OVER_QUOTA', 'Mailbox is full', false, { addressId, quotaBytes: addr.quotaBytes });
  }
}

/**
 * Stores a message so that a crash never leaves a row without its body: a body kept as a file is
 * written and fsynced before any row points at it; a body kept in the database commits with the row
 * and the used-bytes update.
 */
export async function appendMessage(
  core: Core,
  box: MailboxRecord,
  raw: Uint8Array,
  opts: AppendOptions = {},
): Promise<AppendResult> {
  const blobs = core.store.blobs;
  // A file body is written and fsynced before the transaction; a database body inside it.
  const early = blobs.joinsTransactions(raw.byteLength) ? undefined : await blobs.put(raw);
  await registerKeywords(core, box.id, opts.flags ?? []);
  const message = await core.store.transaction(async (tx) => {
    const blob = early ?? (await tx.blobs.put(raw));
    await checkQuota(tx, box.addressId, blob.size);
    const m = await tx.mail.appendMessage({
      mailboxId: box.id,
      blobHash: blob.hash,
      size: blob.size,
      internalDate: opts.internalDate ?? core.now(),
      flags: dedupe(opts.flags ?? []),
    });
    await tx.directory.addUsedBytes(box.addressId, blob.size);
    return m;
  });
  core.events.mailChanged(box.addressId);
  return { mailboxId: box.id, uid: message.uid, uidValidity: box.uidValidity, message };
}

/** Several messages into one folder, all or nothing (MULTIAPPEND, RFC 3502). */
export async function appendMessages(
  core: Core,
  box: MailboxRecord,
  items: Array<{ raw: Uint8Array; flags?: string[]; internalDate?: number }>,
): Promise<MessageRecord[]> {
  const store = core.store.blobs;
  const early: Array<{ hash: string; size: number } | undefined> = [];
  for (const it of items)
    early.push(store.joinsTransactions(it.raw.byteLength) ? undefined : await store.put(it.raw));
  const total = items.reduce((s, it) => s + it.raw.byteLength, 0);
  await registerKeywords(
    core,
    box.id,
    items.flatMap((it) => it.flags ?? []),
  );
  const out = await core.store.transaction(async (tx) => {
    const blobs: Array<{ hash: string; size: number }> = [];
    for (let i = 0; i < items.length; i++) blobs.push(early[i] ?? (await tx.blobs.put(items[i]!.raw)));
    await checkQuota(tx, box.addressId, total);
    const rows: MessageRecord[] = [];
    for (let i = 0; i < items.length; i++) {
      rows.push(
        await tx.mail.appendMessage({
          mailboxId: box.id,
          blobHash: blobs[i]!.hash,
          size: blobs[i]!.size,
          internalDate: items[i]!.internalDate ?? core.now(),
          flags: dedupe(items[i]!.flags ?? []),
        }),
      );
    }
    await tx.directory.addUsedBytes(box.addressId, total);
    return rows;
  });
  core.events.mailChanged(box.addressId);
  return out;
}

/** Message rows for the given UIDs (ascending), read in runs so large sets stay cheap. */
export async function loadMessages(
  core: Core,
  mailboxId: number,
  uids: readonly number[],
): Promise<MessageRecord[]> {
  return loadMessagesWith(core.store, mailboxId, uids);
}

async function loadMessagesWith(
  roles: StoreRoles,
  mailboxId: number,
  uids: readonly number[],
): Promise<MessageRecord[]> {
  if (uids.length === 0) return [];
  const sorted = [...uids].sort((a, b) => a - b);
  const wanted = new Set(sorted);
  const out: MessageRecord[] = [];
  let i = 0;
  while (i < sorted.length) {
    // One query per run of up to 500 requested UIDs (bounded by the last of them): rows in between that
    // were not asked for are skipped.
    const from = sorted[i]!;
    const to = sorted[Math.min(i + 499, sorted.length - 1)]!;
    let cursor = from;
    for (;;) {
      const rows = await roles.mail.listMessages(mailboxId, { fromUid: cursor, toUid: to, limit: 500 });
      for (const r of rows) if (r.uid <= to && wanted.has(r.uid)) out.push(r);
      const last = rows[rows.length - 1];
      if (rows.length < 500 || !last || last.uid >= to) break;
      cursor = last.uid + 1;
    }
    i += 500;
  }
  return out;
}

/** Every message of a folder, in UID order, in pages (for searches over the whole folder). */
export async function* iterateMessages(
  core: Core,
  mailboxId: number,
  pageSize = 1000,
): AsyncGenerator<MessageRecord> {
  let from = 1;
  for (;;) {
    const rows = await core.store.mail.listMessages(mailboxId, { fromUid: from, limit: pageSize });
    for (const r of rows) yield r;
    const last = rows[rows.length - 1];
    if (rows.length < pageSize || !last) return;
    from = last.uid + 1;
  }
}

export async function setFlags(
  core: Core,
  box: MailboxRecord,
  uids: number[],
  op: FlagOp,
  flags: string[],
  unchangedSince?: number,
): Promise<{ updated: MessageRecord[]; conflicts: number[] }> {
  if (uids.length === 0) return { updated: [], conflicts: [] };
  if (op !== 'remove') await registerKeywords(core, box.id, flags);
  // Not waited for on disk: a flag change is not a stored message (see TransactionOptions).
  const r = await core.store.transaction(
    (tx) => tx.mail.setFlags(box.id, uids, op, dedupe(flags), unchangedSince),
    { durable: false },
  );
  if (r.updated.length > 0) core.events.mailChanged(box.addressId);
  return r;
}

/** Removes messages for good and gives their bytes back to the quota. */
export async function expungeMessages(
  core: Core,
  box: MailboxRecord,
  uids: number[],
): Promise<MessageRecord[]> {
  if (uids.length === 0) return [];
  // Not waited for on disk either: at worst a crash brings the messages back (see TransactionOptions).
  const removed = await core.store.transaction(
    async (tx) => {
      const rows = await tx.mail.expunge(box.id, uids);
      const freed = rows.reduce((s, m) => s + m.size, 0);
      if (freed > 0) await tx.directory.addUsedBytes(box.addressId, -freed);
      return rows;
    },
    { durable: false },
  );
  if (removed.length > 0) core.events.mailChanged(box.addressId);
  return removed;
}

/** UIDs of messages with \Deleted among `uids` (or the whole folder when omitted). */
export async function deletedUids(
  core: Core,
  box: MailboxRecord,
  uids?: readonly number[],
): Promise<number[]> {
  const out: number[] = [];
  if (uids) {
    for (const m of await loadMessages(core, box.id, uids))
      if (m.flags.includes('\\Deleted')) out.push(m.uid);
    return out;
  }
  for (const m of await core.store.mail.messagesWithFlag(box.id, '\\Deleted')) out.push(m.uid);
  return out;
}

/** Copies messages to another folder of the same address; the copies count against the quota. */
export async function copyMessages(
  core: Core,
  from: MailboxRecord,
  uids: number[],
  to: MailboxRecord,
): Promise<Array<[number, number]>> {
  if (uids.length === 0) return [];
  const pairs = await core.store.transaction(async (tx) => {
    const rows = await loadMessagesWith(tx, from.id, uids);
    const bytes = rows.reduce((s, m) => s + m.size, 0);
    await checkQuota(tx, to.addressId, bytes);
    const p = await tx.mail.copyMessages(
      from.id,
      rows.map((r) => r.uid),
      to.id,
    );
    await tx.directory.addUsedBytes(to.addressId, bytes);
    return p;
  });
  await registerKeywords(core, to.id, await keywordsOf(core, to.id, pairs));
  core.events.mailChanged(to.addressId);
  return pairs;
}

/** Moves messages (RFC 6851): copy and expunge in one transaction, so no message is lost or doubled. */
export async function moveMessages(
  core: Core,
  from: MailboxRecord,
  uids: number[],
  to: MailboxRecord,
): Promise<Array<[number, number]>> {
  if (uids.length === 0) return [];
  const pairs = await core.store.transaction(async (tx) => {
    const rows = await loadMessagesWith(tx, from.id, uids);
    const p = await tx.mail.copyMessages(
      from.id,
      rows.map((r) => r.uid),
      to.id,
    );
    await tx.mail.expunge(
      from.id,
      p.map(([src]) => src),
    );
    return p;
  });
  await registerKeywords(core, to.id, await keywordsOf(core, to.id, pairs));
  core.events.mailChanged(to.addressId);
  return pairs;
}

export async function countDeleted(core: Core, box: MailboxRecord): Promise<number> {
  return (await deletedUids(core, box)).length;
}

/** Keywords of the copies just made (their rows carry the source's flags). */
async function keywordsOf(core: Core, mailboxId: number, pairs: Array<[number, number]>): Promise<string[]> {
  const out = new Set<string>();
  for (const m of await loadMessages(
    core,
    mailboxId,
    pairs.map(([, n]) => n),
  ))
    for (const f of m.flags) if (!f.startsWith('\\')) out.add(f);
  return [...out];
}

function dedupe(flags: string[]): string[] {
  return [...new Set(flags)];
}
