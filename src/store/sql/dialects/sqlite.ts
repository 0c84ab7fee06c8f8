// SQLite engine: one better-sqlite3 connection (Kysely serialises on it), WAL, every commit fsynced
// before its caller hears of it — by a group fsync of the WAL after COMMIT (sqlite-driver.ts,
// group-fsync.ts) rather than inside COMMIT, which would block the event loop once per commit.
// The file is shared by several processes (the server and the admin CLI), hence the busy timeout and
// BEGIN IMMEDIATE: a deferred transaction that reads and then writes can fail with SQLITE_BUSY when
// another process wrote in between, whatever the timeout; taking the write lock up front waits instead.
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, sql } from 'kysely';
import type { Dialect as KyselyDialect } from 'kysely';
import type { Capabilities } from '../../ports.js';
import type { SqlEngine } from '../engine.js';
import type { Database } from '../schema.js';
import { GroupFsync } from './group-fsync.js';
import { GroupCommitSqliteDriver } from './sqlite-driver.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';

export interface SqliteOptions {
  /**
   * WAL checkpoints on a thread of their own instead of inside the COMMIT that crosses SQLite's
   * threshold (see sqlite-checkpointer.ts). For the long-running server; a short admin command keeps
   * SQLite's automatic checkpoints.
   */
  backgroundCheckpoints?: boolean;
}

const BUSY_TIMEOUT_MS = 10_000;

export const sqliteCapabilities: Capabilities = Object.freeze({
  returning: true,
  skipLocked: false,
  singleWriter: true,
  sharedAcrossHosts: false,
});

/** SQLite does run DDL in transactions; saying so makes the Migrator apply each migration atomically. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export function openSqlite(file: string, opts: SqliteOptions = {}): SqlEngine {
  const raw = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS });
  let wal: boolean;
  try {
    raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    wal = raw.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    // In WAL mode, NORMAL: COMMIT writes the WAL without syncing it and the driver fsyncs it
    // (grouped) before the commit is reported; SQLite itself still syncs around checkpoints.
    // Anything else (in-memory) keeps FULL.
    raw.pragma(`synchronous = ${wal ? 'NORMAL' : 'FULL'}`);
    raw.pragma('foreign_keys = ON');
  } catch (e) {
    raw.close();
    throw e;
  }
  const checkpointer =
    wal && opts.backgroundCheckpoints === true ? new BackgroundCheckpointer(raw.name) : undefined;
  if (checkpointer) raw.pragma('wal_autocheckpoint = 0');
  const driver = new GroupCommitSqliteDriver(
    raw,
    wal ? new GroupFsync(raw.name) : undefined,
    BUSY_TIMEOUT_MS,
    checkpointer,
  );
  const dialect: KyselyDialect = {
    createDriver: () => driver,
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new TransactionalDdlSqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
  const db = new Kysely<Database>({ dialect });

  return {
    dialect: 'sqlite',
    capabilities: sqliteCapabilities,
    db,
    lockChangeFeed: () => Promise.resolve(),
    readNow: (query) => driver.readNow(query),
    relaxCommit: () => {
      driver.relaxCurrentTransaction();
      return Promise.resolve();
    },
    async checkIntegrity() {
      const problems: string[] = [];
      const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
      for (const r of integrity.rows) if (r.integrity_check !== 'ok') problems.push(r.integrity_check);
      const fk = await sql<{
        table: string;
        rowid: number;
        parent: string;
      }>`pragma foreign_key_check`.execute(db);
      for (const r of fk.rows)
        problems.push(`foreign key: ${r.table} row ${r.rowid} has no parent in ${r.parent}`);
      return problems;
    },
    close: () => db.destroy(),
  };
}
