// POP3's view of a mailbox (RFC 1939): the INBOX only, as a snapshot taken at login, changed only in
// the UPDATE state, and locked against a second POP3 session. The lock is a key in the store's
// key-value role with an expiry the session keeps pushing forward, so it holds across processes and a
// crashed server's lock lapses on its own.
import type { Core } from '../context.js';
import type { MailboxRecord } from '../../store/ports.js';
import { getFolder } from './folders.js';
import { expungeMessages, setFlags } from './messages.js';

export interface MaildropEntry {
  uid: number;
  size: number;
}

export interface MaildropSnapshot {
  /** Undefined when the address has no INBOX (then the maildrop is empty). */
  box: MailboxRecord | undefined;
  /** The messages at login, in UID order: POP3 message n is entries[n - 1]. */
  entries: MaildropEntry[];
}

const PAGE = 5000;

/** Reads UIDs and sizes from the message rows only: no body is touched, so 50,000 messages stay cheap. */
export async function openMaildrop(core: Core, addressId: number): Promise<MaildropSnapshot> {
  const box = await getFolder(core, addressId, 'INBOX');
  if (!box) return { box: undefined, entries: [] };
  const entries: MaildropEntry[] = [];
  let from = 1;
  for (;;) {
    const rows = await core.store.mail.listMessages(box.id, { fromUid: from, limit: PAGE });
    for (const r of rows) entries.push({ uid: r.uid, size: r.size });
    const last = rows[rows.length - 1];
    if (rows.length < PAGE || !last) break;
    from = last.uid + 1;
  }
  return { box, entries };
}

/** The raw message, or undefined when it was expunged since the snapshot (by IMAP, say). */
export async function readMaildropMessage(
  core: Core,
  box: MailboxRecord,
  uid: number,
): Promise<Buffer | undefined> {
  const row = await core.store.mail.getMessage(box.id, uid);
  if (!row) return undefined;
  return core.store.blobs.get(row.blobHash);
}

/**
 * The UPDATE state (RFC 1939 §6): retrieved messages become \Seen for IMAP clients, messages marked
 * with DELE are removed. Messages already expunged elsewhere are simply skipped. Returns how many
 * messages were removed.
 */
export async function commitMaildropUpdate(
  core: Core,
  box: MailboxRecord,
  change: { deleted: number[]; retrieved: number[] },
): Promise<number> {
  const gone = new Set(change.deleted);
  const seen = change.retrieved.filter((u) => !gone.has(u));
  if (seen.length > 0) await setFlags(core, box, seen, 'add', ['\\Seen']);
  const removed = await expungeMessages(core, box, change.deleted);
  return removed.length;
}

const LOCK_NS = 'pop3-lock';
/** A crashed session's lock lapses after this; a live one refreshes it well before. */
export const MAILDROP_LOCK_TTL_MS = 60_000;

/** Takes the maildrop lock for `owner` (a session id); false when another session holds it. */
export async function lockMaildrop(core: Core, addressId: number, owner: string): Promise<boolean> {
  return core.store.kv.setIfAbsent(LOCK_NS, String(addressId), owner, MAILDROP_LOCK_TTL_MS);
}

/** Pushes the lock's expiry forward; false when it was lost (expired and taken by someone else). */
export async function refreshMaildropLock(core: Core, addressId: number, owner: string): Promise<boolean> {
  return core.store.transaction(async (tx) => {
    const held = await tx.kv.get(LOCK_NS, String(addressId));
    if (held !== undefined && held !== owner) return false;
    await tx.kv.set(LOCK_NS, String(addressId), owner, MAILDROP_LOCK_TTL_MS);
    return true;
  });
}

export async function unlockMaildrop(core: Core, addressId: number, owner: string): Promise<void> {
  await core.store.transaction(async (tx) => {
    if ((await tx.kv.get(LOCK_NS, String(addressId))) === owner)
      await tx.kv.delete(LOCK_NS, String(addressId));
  });
}
