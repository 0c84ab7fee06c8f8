// \Recent (RFC 3501 §2.3.2): a message is recent in exactly one session, the first to see it with the
// folder opened read-write. One marker per folder, the highest UID some session has claimed, shared by
// every process through the store and raised by compare-and-set: a claim costs one read and, for the
// session that wins, one write; the others only read. IMAP4rev2 dropped \Recent, so only rev1
// sessions ask.
import type { Core } from '../context.js';

const NS = 'imap-recent';

/** The highest UID already claimed as recent in the folder (0: none). */
export async function recentMarker(core: Core, mailboxId: number): Promise<number> {
  const v = await core.store.kv.get(NS, String(mailboxId));
  const n = v === undefined ? 0 : Number(v);
  return Number.isSafeInteger(n) ? n : 0;
}

/**
 * Claims the UIDs above the marker up to `maxUid` for the caller; returns the marker before the claim,
 * so the caller's recent messages are those with previous < uid <= maxUid.
 */
export async function claimRecent(core: Core, mailboxId: number, maxUid: number): Promise<number> {
  const key = String(mailboxId);
  // Each lost race means another session raised the marker meanwhile; re-read and try again.
  for (let attempt = 0; attempt < 100; attempt++) {
    const current = await core.store.kv.get(NS, key);
    const prev = current === undefined ? 0 : Number(current);
    if (!Number.isSafeInteger(prev) || maxUid <= prev) return Number.isSafeInteger(prev) ? prev : maxUid;
    if (await core.store.kv.compareAndSet(NS, key, current, String(maxUid))) return prev;
  }
  return maxUid;
}

/** Messages nobody has claimed yet (STATUS RECENT). */
export async function countUnclaimed(core: Core, mailboxId: number): Promise<number> {
  const marker = await recentMarker(core, mailboxId);
  let n = 0;
  let from = marker + 1;
  for (;;) {
    const rows = await core.store.mail.listMessages(mailboxId, { fromUid: from, limit: 1000 });
    n += rows.length;
    const last = rows[rows.length - 1];
    if (rows.length < 1000 || !last) return n;
    from = last.uid + 1;
  }
}
