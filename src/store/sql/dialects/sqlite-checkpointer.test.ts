// The server's SQLite engine checkpoints on its own thread: the WAL must stay short under a stream of
// commits although the connection's automatic checkpoints are off, and everything must still be there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openSqlite } from './sqlite.js';

async function writeMany(background: boolean): Promise<{ walBytes: number; rows: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ms-ckpt-'));
  const file = join(dir, 'db.sqlite');
  const engine = openSqlite(file, { backgroundCheckpoints: background });
  try {
    await sql`create table t (id integer primary key, data blob not null)`.execute(engine.db);
    const body = Buffer.alloc(20_000, 7);
    let walBytes = 0;
    // 1500 commits of 20 kB: ~30 MB through the WAL.
    for (let i = 0; i < 1500; i++) {
      await engine.db.transaction().execute(async (trx) => {
        await sql`insert into t (data) values (${body})`.execute(trx);
      });
      // Give the checkpoint thread the moments a server's event loop would.
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 100));
      walBytes = Math.max(walBytes, statSync(file + '-wal').size);
    }
    const rows = await sql<{ n: number }>`select count(*) as n from t`.execute(engine.db);
    assert.deepEqual(await engine.checkIntegrity(), []);
    return { walBytes, rows: rows.rows[0]!.n };
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('background checkpoints keep the WAL short while commits stream in', async () => {
  const r = await writeMany(true);
  assert.equal(r.rows, 1500);
  // SQLite's own threshold is 1000 pages (~4 MB); the thread checkpoints about every 100 commits
  // (~2.5 MB here). Without any checkpoint the WAL would reach ~40 MB.
  assert.ok(r.walBytes < 20 * 1024 * 1024, `WAL reached ${r.walBytes} bytes`);
});

test('a one-off command keeps SQLite automatic checkpoints', async () => {
  const r = await writeMany(false);
  assert.equal(r.rows, 1500);
  assert.ok(r.walBytes < 20 * 1024 * 1024, `WAL reached ${r.walBytes} bytes`);
});
