// Kysely driver for our one better-sqlite3 connection. Kysely's own SqliteDriver, plus:
//  - BEGIN IMMEDIATE (see sqlite.ts), waiting for another process's write lock without blocking
//    the event loop;
//  - prepared statements cached by SQL text (preparing was a tenth of the delivery path's CPU);
//  - durable commits without blocking the event loop: with synchronous=NORMAL a COMMIT (or a write
//    outside a transaction) only writes the WAL, so before the caller's query or transaction
//    settles, the connection is released and the WAL is fsynced through GroupFsync, which one fsync
//    serves for every commit written before it. The caller still learns of its commit only once it
//    is on disk; meanwhile the next transactions run.
import { CompiledQuery, SelectQueryNode } from 'kysely';
import type { DatabaseConnection, Driver, QueryResult, TransactionSettings } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import type { GroupFsync } from './group-fsync.js';
import type { BackgroundCheckpointer } from './sqlite-checkpointer.js';

const STATEMENT_CACHE = 400;
/** Statements whose row count says whether they wrote anything. */
const DML = /^\s*(insert|update|delete|replace)\b/i;

class SqliteConnection implements DatabaseConnection {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  /** Something was written since the last durable point (inside the open transaction, or not). */
  #dirty = false;
  /** A commit (or autocommit write) happened that is not fsynced yet. */
  needsSync = false;
  /** The transaction holding the connection may be reported before its fsync (relaxCommit). */
  relaxed = false;
  #noWait: BetterSqlite3.Statement | undefined;
  #wait: BetterSqlite3.Statement | undefined;
  #begin: BetterSqlite3.Statement | undefined;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.clear();
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const stmt = this.#prepare(sql);
    // BEGIN/COMMIT/ROLLBACK count as read-only for SQLite; data changes are what make a commit dirty.
    // A data change that touched no row wrote nothing and needs no fsync (a login's "forget failed
    // attempts" delete, a lost compare-and-set): RETURNING yields a row per changed row, run() counts
    // them. Anything else that writes (DDL, pragmas) counts as a change.
    try {
      if (stmt.reader) {
        const rows = stmt.all(parameters) as R[];
        if (!stmt.readonly && (rows.length > 0 || !DML.test(sql))) this.#dirty = true;
        return Promise.resolve({ rows });
      }
      const { changes, lastInsertRowid } = stmt.run(parameters);
      if (!stmt.readonly && (changes > 0 || !DML.test(sql))) this.#dirty = true;
      return Promise.resolve({
        numAffectedRows: BigInt(changes),
        insertId: BigInt(lastInsertRowid),
        rows: [],
      });
    } finally {
      this.#settle(sql);
    }
  }

  #settle(sql: string): void {
    if (this.#db.inTransaction) return;
    // Out of any transaction: what was written is committed (or was rolled back).
    if (this.#dirty && !/^\s*rollback\b/i.test(sql)) this.needsSync = true;
    this.#dirty = false;
  }

  /**
   * BEGIN IMMEDIATE without blocking the event loop while another process holds the write lock.
   * SQLite's busy handler would sleep inside the call (1, 2, 5, 10... ms), stopping every session
   * of this process for as long; here the lock is tried without waiting, and between tries the
   * process goes on with whatever does not need the database.
   */
  async beginImmediate(timeoutMs: number): Promise<void> {
    this.#noWait ??= this.#db.prepare('pragma busy_timeout = 0');
    this.#wait ??= this.#db.prepare(`pragma busy_timeout = ${timeoutMs}`);
    this.#begin ??= this.#db.prepare('begin immediate');
    const deadline = Date.now() + timeoutMs;
    this.#noWait.get();
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          this.#begin.run();
          return;
        } catch (e) {
          if ((e as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw e;
        }
        // The other process's transactions last well under a millisecond: look again at once a
        // few times (other callbacks run in between), then every millisecond.
        await new Promise<void>((resolve) => (attempt < 3 ? setImmediate(resolve) : setTimeout(resolve, 1)));
      }
    } finally {
      this.#wait.get();
    }
  }

  /** A read-only statement run at once, or undefined for one that may write. */
  readNow(query: CompiledQuery): unknown[] | undefined {
    const stmt = this.#prepare(query.sql);
    if (!stmt.reader || !stmt.readonly || this.#db.inTransaction) return undefined;
    return stmt.all(query.parameters);
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    if (!SelectQueryNode.is(query))
      throw new Error('Sqlite driver only supports streaming of select queries');
    // Not from the cache: an iterating statement is busy until the caller stops reading.
    const stmt = this.#db.prepare(sql);
    for (const row of stmt.iterate(parameters)) yield { rows: [row as R] };
  }
}

class ConnectionMutex {
  #promise: Promise<void> | undefined;
  #resolve: (() => void) | undefined;

  get locked(): boolean {
    return this.#promise !== undefined;
  }

  async lock(): Promise<void> {
    while (this.#promise) await this.#promise;
    this.#promise = new Promise((resolve) => (this.#resolve = resolve));
  }

  unlock(): void {
    const resolve = this.#resolve;
    this.#promise = undefined;
    this.#resolve = undefined;
    resolve?.();
  }
}

export class GroupCommitSqliteDriver implements Driver {
  readonly #mutex = new ConnectionMutex();
  readonly #connection: SqliteConnection;

  constructor(
    private readonly db: BetterSqlite3.Database,
    /** undefined: nothing to sync (in-memory database, or synchronous=FULL does it in COMMIT). */
    private readonly fsync: GroupFsync | undefined,
    /** How long BEGIN IMMEDIATE waits for another process's write lock. */
    private readonly busyTimeoutMs: number,
    /** Told of every commit when checkpoints run on their own thread. */
    private readonly checkpointer?: BackgroundCheckpointer,
  ) {
    this.#connection = new SqliteConnection(db);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  /**
   * A read answered synchronously while nobody holds the connection (undefined otherwise): the same
   * statement the queued path would run, minus the queue.
   */
  readNow(query: CompiledQuery): unknown[] | undefined {
    if (this.#mutex.locked) return undefined;
    return this.#connection.readNow(query);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    // A deferred transaction that reads and then writes can fail with SQLITE_BUSY when another
    // process wrote in between; taking the write lock up front waits instead.
    await (connection as SqliteConnection).beginImmediate(this.busyTimeoutMs);
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  /**
   * Called by the transaction that holds the connection: its commit is reported without waiting for
   * the fsync, which still starts at once (and every later durable commit's fsync covers it anyway).
   */
  relaxCurrentTransaction(): void {
    this.#connection.relaxed = true;
  }

  async releaseConnection(): Promise<void> {
    const needsSync = this.#connection.needsSync;
    const relaxed = this.#connection.relaxed;
    this.#connection.needsSync = false;
    this.#connection.relaxed = false;
    // Free the connection first: the next transactions run (and join the next fsync) meanwhile.
    this.#mutex.unlock();
    if (needsSync) this.checkpointer?.noteCommit();
    if (!needsSync || this.fsync === undefined) return;
    const synced = this.fsync.sync();
    // Nobody waits for a relaxed commit's fsync, and nobody was promised it: a failure is dropped.
    if (relaxed) synced.catch(() => undefined);
    else await synced;
  }

  async destroy(): Promise<void> {
    await this.fsync?.close();
    await this.checkpointer?.close();
    this.db.close();
  }
}
