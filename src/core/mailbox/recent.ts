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
  const seen = parseMarker(await core.store.kv.get(NS, key));
  // Most sessions only find the marker already there: a read, no write.
  if (seen === null || maxUid <= seen) return seen ?? maxUid;
  // A claim is not a stored message: its write is not waited for on disk (TransactionOptions); lost
  // in a crash, the messages are recent once more.
  return core.store.transaction(
    async (tx) => {
      // Each lost race means another session raised the marker meanwhile; re-read and try again.
      for (let attempt = 0; attempt < 100; attempt++) {
        const current = await tx.kv.get(NS, key);
        const prev = parseMarker(current);
        if (prev === null || maxUid <= prev) return prev ?? maxUid;
        if (await tx.kv.compareAndSet(NS, key, current, String(maxUid))) return prev;
      }
      return maxUid;
    },
    { durable: false },
  );
}

/** The marker's value (0 when absent), or null when it is not a number. */
function parseMarker(v: string | undefined): number | null {
  const n = v === undefined ? 0 : Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** Messages nobody has claimed yet (STATUS RECENT). */
export async function countUnclaimed(core: Core, mailboxId: number): Promise<number> {
  return core.store.mail.countFrom(mailboxId, (await recentMarker(core, mailboxId)) + 1);
}
