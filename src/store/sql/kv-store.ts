// Key-value rows with optional expiry. Expired rows are invisible at once and removed by purgeExpired.
// Each write is one upsert statement, so concurrent writers need no transaction.
import { sql } from 'kysely';
import type { KvStore } from '../ports.js';
import type { Exec } from './context.js';
import { prepared } from './prepared.js';
import { affected } from './rows.js';

const expiry = (ttlMs: number | undefined, now: number): number | null =>
  ttlMs === undefined ? null : now + ttlMs;

// Read at every delivery (rule templates, auto-replies) and login: compiled once.
const liveValue = prepared((db, ns: string, key: string, now: number) =>
  db
    .selectFrom('kv')
    .select('value')
    .where('ns', '=', ns)
    .where('key', '=', key)
    .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', now)])),
);

// Written at every login (bans), flag change with a new keyword and \Recent claim: compiled once too.
const swapValue = prepared((db, ns: string, key: string, expected: string, value: string, now: number) =>
  db
    .updateTable('kv')
    .set({ value })
    .where('ns', '=', ns)
    .where('key', '=', key)
    .where('value', '=', expected)
    .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', now)])),
);
const deleteKey = prepared((db, ns: string, key: string) =>
  db.deleteFrom('kv').where('ns', '=', ns).where('key', '=', key),
);

export class SqlKvStore implements KvStore {
  constructor(private readonly x: Exec) {}

  async get(ns: string, key: string, now: number = Date.now()): Promise<string | undefined> {
    const [r] = await liveValue.rows(this.x, ns, key, now);
    return r?.value;
  }

  async set(ns: string, key: string, value: string, ttlMs?: number): Promise<void> {
    await this.x
      .db()
      .insertInto('kv')
      .values({ ns, key, value, expires_at: expiry(ttlMs, Date.now()) })
      .onConflict((oc) =>
        oc.columns(['ns', 'key']).doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          expires_at: eb.ref('excluded.expires_at'),
        })),
      )
      .execute();
  }

  async setIfAbsent(ns: string, key: string, value: string, ttlMs?: number): Promise<boolean> {
    const now = Date.now();
    // The conflicting row is only overwritten when expired; RETURNING yields a row iff we wrote.
    const r = await this.x
      .db()
      .insertInto('kv')
      .values({ ns, key, value, expires_at: expiry(ttlMs, now) })
      .onConflict((oc) =>
        oc
          .columns(['ns', 'key'])
          .doUpdateSet((eb) => ({
            value: eb.ref('excluded.value'),
            expires_at: eb.ref('excluded.expires_at'),
          }))
          .where('kv.expires_at', 'is not', null)
          .where('kv.expires_at', '<=', now),
      )
      .returning('key')
      .executeTakeFirst();
    return r !== undefined;
  }

  async compareAndSet(
    ns: string,
    key: string,
    expected: string | undefined,
    value: string,
  ): Promise<boolean> {
    if (expected === undefined) return this.setIfAbsent(ns, key, value);
    const r = await swapValue.execute(this.x.engine, this.x.db(), ns, key, expected, value, Date.now());
    return Number(r.numAffectedRows) === 1;
  }

  async delete(ns: string, key: string): Promise<void> {
    await deleteKey.execute(this.x.engine, this.x.db(), ns, key);
  }

  async incr(ns: string, key: string, by: number, ttlMs?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new RangeError(`kv.incr needs an integer step, got ${by}`);
    const now = Date.now();
    const expired = sql<boolean>`(kv.expires_at is not null and kv.expires_at <= ${now})`;
    const r = await this.x
      .db()
      .insertInto('kv')
      .values({ ns, key, value: String(by), expires_at: expiry(ttlMs, now) })
      .onConflict((oc) =>
        oc.columns(['ns', 'key']).doUpdateSet({
          // An expired counter starts again from zero with the new ttl, as if absent.
          value: sql<string>`case when ${expired} then excluded.value
            else cast(cast(kv.value as bigint) + cast(${by} as bigint) as text) end`,
          expires_at: sql<
            number | null
          >`case when ${expired} then excluded.expires_at else kv.expires_at end`,
        }),
      )
      .returning('value')
      .executeTakeFirstOrThrow();
    return Number(r.value);
  }

  async purgeExpired(now: number): Promise<number> {
    const r = await this.x
      .db()
      .deleteFrom('kv')
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .executeTakeFirst();
    return affected(r.numDeletedRows);
  }
}
