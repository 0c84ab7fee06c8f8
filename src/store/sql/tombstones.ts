// QRESYNC tombstones (table `expunged`: mailbox, UID, modseq of the expunge) are pruned by age; the
// age of a tombstone is that of its 'expunge' row in the change feed (same mailbox, UID and modseq),
// so pruning runs before the feed itself is pruned with the same cutoff.
//
// What was forgotten is remembered as a floor: a row with UID 0 whose modseq is the highest modseq
// of a forgotten tombstone. A client resynchronising from a modseq below the floor cannot be told
// exactly what vanished since; it is told every UID below UIDNEXT that is not a message now, which
// contains it (RFC 7162 §3.2.5.2 and §3.2.10: VANISHED may name UIDs the client never had, it
// ignores them).
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Exec } from './context.js';
import { affected } from './rows.js';
import type { Database } from './schema.js';

export const FLOOR_UID = 0;

/** Forgets tombstones whose expunge is older than `before`; returns how many were removed. */
export async function pruneTombstones(x: Exec, before: number): Promise<number> {
  const cutoffs = await x
    .db()
    .selectFrom('changes')
    .select(['mailbox_id', sql<number>`max(modseq)`.as('modseq')])
    .where('kind', '=', 'expunge')
    .where('at', '<', before)
    .groupBy('mailbox_id')
    .execute();
  let removed = 0;
  for (const c of cutoffs) {
    const mailboxId = Number(c.mailbox_id);
    const modseq = Number(c.modseq);
    await x.atomic(async (tx) => {
      const r = await tx.db
        .deleteFrom('expunged')
        .where('mailbox_id', '=', mailboxId)
        .where('uid', '>', FLOOR_UID)
        .where('modseq', '<=', modseq)
        .executeTakeFirst();
      const n = affected(r.numDeletedRows);
      removed += n;
      if (n === 0) return;
      // The mailbox may be gone meanwhile (its tombstones went with it): no floor then.
      const box = await tx.db
        .selectFrom('mailboxes')
        .select('id')
        .where('id', '=', mailboxId)
        .executeTakeFirst();
      if (!box) return;
      await tx.db
        .insertInto('expunged')
        .values({ mailbox_id: mailboxId, uid: FLOOR_UID, modseq })
        .onConflict((oc) =>
          oc.columns(['mailbox_id', 'uid']).doUpdateSet({
            modseq: sql<number>`case when excluded.modseq > expunged.modseq then excluded.modseq else expunged.modseq end`,
          }),
        )
        .execute();
    });
  }
  return removed;
}

/** Every UID below the mailbox's UIDNEXT that is not a message now (the answer below the floor). */
export async function absentUids(db: Kysely<Database>, mailboxId: number): Promise<number[]> {
  const box = await db
    .selectFrom('mailboxes')
    .select('uid_next')
    .where('id', '=', mailboxId)
    .executeTakeFirst();
  if (!box) return [];
  const present = await db
    .selectFrom('messages')
    .select('uid')
    .where('mailbox_id', '=', mailboxId)
    .orderBy('uid')
    .execute();
  const out: number[] = [];
  let next = 1;
  for (const { uid } of present) {
    const u = Number(uid);
    for (; next < u; next++) out.push(next);
    next = u + 1;
  }
  for (; next < Number(box.uid_next); next++) out.push(next);
  return out;
}
