// Per-address mail log: append-only rows, queried newest first, purged by age.
import type { MailLogDirection, MailLogEvent, MailLogRecord, MailLogStore } from '../ports.js';
import type { Exec } from './context.js';
import type { MailLogBuffer } from './mail-log-buffer.js';
import { affected, chunks, parseJsonObject } from './rows.js';

const INSERT_CHUNK = 500;

/** Inserts events in one transaction (the caller's, if any). */
export async function insertMailLog(x: Exec, events: MailLogEvent[]): Promise<void> {
  if (events.length === 0) return;
  await x.atomic(async ({ db }) => {
    for (const part of chunks(events, INSERT_CHUNK)) {
      await db
        .insertInto('mail_log')
        .values(
          part.map((e) => ({
            at: e.at,
            address: e.address,
            direction: e.direction,
            message_id: e.messageId,
            event: e.event,
            detail: JSON.stringify(e.detail),
          })),
        )
        .execute();
    }
  });
}

export class SqlMailLogStore implements MailLogStore {
  constructor(
    private readonly x: Exec,
    private readonly buffer: MailLogBuffer,
  ) {}

  /** In a transaction: part of it. Otherwise batched with other appends (see mail-log-buffer.ts). */
  append(events: MailLogEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    if (this.x.current() !== undefined) return insertMailLog(this.x, events);
    return this.buffer.add(events);
  }

  /** Reads and purges see every append made before them (not from inside a transaction, which
   * holds SQLite's one connection the pending batch would wait for). */
  private async settle(): Promise<void> {
    if (this.x.current() === undefined) await this.buffer.flush().catch(() => undefined);
  }

  /** Newest first (a log is read from the latest event back); `since` inclusive, `until` exclusive. */
  async query(filter: {
    address?: string;
    messageId?: string;
    since?: number;
    until?: number;
    limit?: number;
  }): Promise<MailLogRecord[]> {
    await this.settle();
    let q = this.x.db().selectFrom('mail_log').selectAll();
    if (filter.address !== undefined) q = q.where('address', '=', filter.address);
    if (filter.messageId !== undefined) q = q.where('message_id', '=', filter.messageId);
    if (filter.since !== undefined) q = q.where('at', '>=', filter.since);
    if (filter.until !== undefined) q = q.where('at', '<', filter.until);
    q = q.orderBy('at', 'desc').orderBy('id', 'desc');
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    const rows = await q.execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      address: r.address,
      direction: r.direction as MailLogDirection,
      messageId: r.message_id,
      event: r.event,
      detail: parseJsonObject(r.detail),
    }));
  }

  async purgeOlderThan(before: number): Promise<number> {
    await this.settle();
    const r = await this.x.db().deleteFrom('mail_log').where('at', '<', before).executeTakeFirst();
    return affected(r.numDeletedRows);
  }
}
