// Outbound queue: one row per recipient, leased by workers that may live in several processes.
import type { Selectable, Updateable } from 'kysely';
import type { NewQueueItem, QueueItem, QueueStatus, QueueStore } from '../ports.js';
import type { Exec } from './context.js';
import { affected, parseJsonObject, toBool, toInt } from './rows.js';
import type { QueueTable } from './schema.js';

const toItem = (r: Selectable<QueueTable>): QueueItem => ({
  id: r.id,
  envelopeId: r.envelope_id,
  sender: r.sender,
  recipient: r.recipient,
  domain: r.domain,
  blobHash: r.blob_hash,
  size: r.size,
  status: r.status as QueueStatus,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  createdAt: r.created_at,
  lastError: r.last_error,
  delayNotified: toBool(r.delay_notified),
  meta: parseJsonObject(r.meta),
  leaseOwner: r.lease_owner,
  leaseUntil: r.lease_until,
});

export class SqlQueueStore implements QueueStore {
  constructor(private readonly x: Exec) {}

  async enqueue(items: NewQueueItem[]): Promise<QueueItem[]> {
    if (items.length === 0) return [];
    const now = Date.now();
    const rows = await this.x
      .db()
      .insertInto('queue')
      .values(
        items.map((i) => ({
          envelope_id: i.envelopeId,
          sender: i.sender,
          recipient: i.recipient,
          domain: i.domain,
          blob_hash: i.blobHash,
          size: i.size,
          status: 'queued',
          attempts: 0,
          next_attempt_at: i.nextAttemptAt,
          created_at: now,
          updated_at: now,
          last_error: null,
          delay_notified: 0,
          meta: JSON.stringify(i.meta),
          lease_owner: null,
          lease_until: null,
        })),
      )
      .returningAll()
      .execute();
    return rows.sort((a, b) => a.id - b.id).map(toItem);
  }

  async lease(owner: string, now: number, leaseMs: number, limit: number): Promise<QueueItem[]> {
    if (limit <= 0) return [];
    // One statement: the row choice and the claim cannot be split by another worker. PostgreSQL
    // workers skip rows another transaction is claiming instead of queueing behind it; SQLite
    // runs the statement under its single writer.
    const rows = await this.x
      .db()
      .updateTable('queue')
      .set({ lease_owner: owner, lease_until: now + leaseMs })
      .where('id', 'in', (eb) => {
        let q = eb
          .selectFrom('queue')
          .select('id')
          .where('status', '=', 'queued')
          .where('next_attempt_at', '<=', now)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<=', now)]))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(limit);
        if (this.x.engine.capabilities.skipLocked) q = q.forUpdate().skipLocked();
        return q;
      })
      .returningAll()
      .execute();
    return rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id).map(toItem);
  }

  async finish(
    id: number,
    owner: string,
    patch: Partial<Pick<QueueItem, 'status' | 'attempts' | 'nextAttemptAt' | 'lastError' | 'delayNotified'>>,
  ): Promise<boolean> {
    const u: Updateable<QueueTable> = { lease_owner: null, lease_until: null, updated_at: Date.now() };
    if (patch.status !== undefined) u.status = patch.status;
    if (patch.attempts !== undefined) u.attempts = patch.attempts;
    if (patch.nextAttemptAt !== undefined) u.next_attempt_at = patch.nextAttemptAt;
    if (patch.lastError !== undefined) u.last_error = patch.lastError;
    if (patch.delayNotified !== undefined) u.delay_notified = toInt(patch.delayNotified);
    const r = await this.x
      .db()
      .updateTable('queue')
      .set(u)
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return affected(r.numUpdatedRows) > 0;
  }

  async get(id: number): Promise<QueueItem | undefined> {
    const r = await this.x.db().selectFrom('queue').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toItem(r);
  }

  async list(filter: { status?: QueueStatus; limit?: number } = {}): Promise<QueueItem[]> {
    let q = this.x.db().selectFrom('queue').selectAll();
    if (filter.status !== undefined) q = q.where('status', '=', filter.status);
    q = q.orderBy('id');
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    return (await q.execute()).map(toItem);
  }

  async retryNow(id: number, now: number): Promise<boolean> {
    const r = await this.x
      .db()
      .updateTable('queue')
      .set({ next_attempt_at: now })
      .where('id', '=', id)
      .where('status', '=', 'queued')
      .executeTakeFirst();
    return affected(r.numUpdatedRows) > 0;
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.x.db().deleteFrom('queue').where('id', '=', id).executeTakeFirst();
    return affected(r.numDeletedRows) > 0;
  }

  async isBlobReferenced(hash: string): Promise<boolean> {
    const r = await this.x
      .db()
      .selectFrom('queue')
      .select('id')
      .where('blob_hash', '=', hash)
      .where('status', 'not in', ['delivered', 'failed'])
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  async purgeFinished(before: number): Promise<number> {
    const r = await this.x
      .db()
      .deleteFrom('queue')
      .where('status', 'in', ['delivered', 'failed'])
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return affected(r.numDeletedRows);
  }
}
