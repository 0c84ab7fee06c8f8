// When the SQLite driver waits for the group fsync: after a commit that wrote something, unless the
// transaction was relaxed; never after statements that changed no row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely';
import type { GroupFsync } from './group-fsync.js';
import { GroupCommitSqliteDriver } from './sqlite-driver.js';

interface Kv {
  kv: { k: string; v: string };
}

/** A GroupFsync stand-in whose syncs finish only when the test says so. */
class HeldFsync {
  calls = 0;
  private releases: Array<() => void> = [];
  sync(): Promise<void> {
    this.calls++;
    return new Promise((resolve) => this.releases.push(resolve));
  }
  releaseAll(): void {
    for (const r of this.releases.splice(0)) r();
  }
  close(): Promise<void> {
    this.releaseAll();
    return Promise.resolve();
  }
}

function open(): { db: Kysely<Kv>; driver: GroupCommitSqliteDriver; fsync: HeldFsync } {
  const raw = new BetterSqlite3(':memory:');
  raw.exec('create table kv (k text primary key, v text not null)');
  const fsync = new HeldFsync();
  const driver = new GroupCommitSqliteDriver(raw, fsync as unknown as GroupFsync, 1000);
  const db = new Kysely<Kv>({
    dialect: {
      createDriver: () => driver,
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createAdapter: () => new SqliteAdapter(),
      createIntrospector: (k) => new SqliteIntrospector(k),
    },
  });
  return { db, driver, fsync };
}

/** Whether `p` settles within a few turns of the event loop (while the fsync is held). */
async function settlesWhileHeld(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

test('a write is answered after its fsync; reads and writes that changed nothing need none', async () => {
  const { db, fsync } = open();
  await db.selectFrom('kv').selectAll().execute();
  await db.deleteFrom('kv').where('k', '=', 'absent').execute();
  await db.updateTable('kv').set({ v: 'x' }).where('k', '=', 'absent').execute();
  await db.updateTable('kv').set({ v: 'x' }).where('k', '=', 'absent').returning('k').execute();
  assert.equal(fsync.calls, 0);

  const write = db.insertInto('kv').values({ k: 'a', v: '1' }).execute();
  assert.equal(await settlesWhileHeld(write), false, 'a write waits for its fsync');
  assert.equal(fsync.calls, 1);
  fsync.releaseAll();
  await write;

  const deleted = db.deleteFrom('kv').where('k', '=', 'a').execute();
  assert.equal(await settlesWhileHeld(deleted), false, 'a delete that removed a row waits too');
  fsync.releaseAll();
  await deleted;
  await db.destroy();
});

test('a relaxed transaction is answered before its fsync, which still starts', async () => {
  const { db, driver, fsync } = open();
  const relaxed = db.transaction().execute(async (trx) => {
    driver.relaxCurrentTransaction();
    await trx.insertInto('kv').values({ k: 'a', v: '1' }).execute();
  });
  assert.equal(await settlesWhileHeld(relaxed), true);
  assert.equal(fsync.calls, 1, 'the fsync was started');

  // The flag covered that transaction only: the next one waits again.
  const durable = db.transaction().execute(async (trx) => {
    await trx.insertInto('kv').values({ k: 'b', v: '2' }).execute();
  });
  assert.equal(await settlesWhileHeld(durable), false);
  fsync.releaseAll();
  await durable;
  const rows = await sql<{ k: string }>`select k from kv order by k`.execute(db);
  assert.deepEqual(
    rows.rows.map((r) => r.k),
    ['a', 'b'],
  );
  await db.destroy();
});
