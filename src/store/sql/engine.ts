// What the SQL role stores need from an engine, built by dialects/sqlite.ts or dialects/postgres.ts.
import type { CompiledQuery, Kysely } from 'kysely';
import type { Capabilities, Dialect } from '../ports.js';
import type { Database } from './schema.js';

export interface SqlEngine {
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  readonly db: Kysely<Database>;
  /**
   * PostgreSQL: the schema the store lives in. The Migrator must be told: unqualified, it looks for
   * its bookkeeping tables in every schema of the database and may find another store's.
   */
  readonly schema?: string;
  /**
   * Taken inside a transaction right before it writes change-feed rows, held until it ends, so feed
   * ids become visible in id order (see context.ts). A no-op where there is a single writer anyway.
   */
  lockChangeFeed(trx: Kysely<Database>): Promise<void>;
  /**
   * Inside a transaction: its commit may be reported before it is on stable storage (see
   * TransactionOptions.durable). SQLite: the group fsync is started but not waited for; PostgreSQL:
   * `synchronous_commit = off` for this transaction.
   */
  relaxCommit(trx: Kysely<Database>): Promise<void>;
  /**
   * A read-only query answered synchronously when nothing holds the connection (SQLite, whose
   * queries are synchronous anyway: no trip through the connection queue and its promises), or
   * undefined when it must go the usual way.
   */
  readNow?(query: CompiledQuery): unknown[] | undefined;
  checkIntegrity(): Promise<string[]>;
  close(): Promise<void>;
}
