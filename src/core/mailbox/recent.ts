// \Recent (RFC 3501 §2.3.2): a message is recent in exactly one session, the first to see it with the
// folder opened read-write. One marker per folder, the highest UID some session has claimed, shared by
// every process through the store; a short lock makes each claim atomic. IMAP4rev2 dropped \Recent,
// so only rev1 sessions ask.
import type { Core } from '../context.js';

const NS = 'imap-recent';
const LOCK_NS = 'imap-recent-lock';
const LOCK_TTL_MS = 5000;

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
  for (let attempt = 0; ; attempt++) {
    if (await core.store.kv.setIfAbsent(LOCK_NS, key, '1', LOCK_TTL_MS)) break;
    // Someone else is claiming: wait a little; a lock left by a dead process expires by itself.
    if (attempt > 200) return maxUid;
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  try {
    const prev = await recentMarker(core, mailboxId);
    if (maxUid > prev) await core.store.kv.set(NS, key, String(maxUid));
    return prev;
  } finally {
    await core.store.kv.delete(LOCK_NS, key);
  }
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
