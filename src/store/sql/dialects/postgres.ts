// PostgreSQL engine: a pg pool, BIGINT read back as numbers (ids, times and sizes are all below
// 2^53), an optional schema (search_path) so several stores — or test runs — share one database.
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Capabilities } from '../../ports.js';
import type { SqlEngine } from '../engine.js';
import type { Database } from '../schema.js';

const INT8_OID = 20;
const UNIQUE_VIOLATION = '23505';
const DUPLICATE_SCHEMA = '42P06';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export const postgresCapabilities: Capabilities = Object.freeze({
  returning: true,
  skipLocked: true,
  singleWriter: false,
  sharedAcrossHosts: true,
});

// Per pool rather than pg.types.setTypeParser, which would change every pg user in the process.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresOptions {
  url: string;
  schema?: string;
  poolSize?: number;
}

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${JSON.stringify(schema)}`);
}

/** Two processes opening a fresh store may both create the schema: IF NOT EXISTS still races in the catalog. */
async function createSchema(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== UNIQUE_VIOLATION && code !== DUPLICATE_SCHEMA) throw e;
  }
}

export async function openPostgres(opts: PostgresOptions): Promise<SqlEngine> {
  if (opts.schema !== undefined) assertSchemaName(opts.schema);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    types,
    ...(opts.schema !== undefined ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  // An idle client losing its server emits 'error' on the pool; unhandled, that would kill the
  // process. The pool drops the client itself and the next query reports the outage.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  let schema: string;
  try {
    if (opts.schema !== undefined) await createSchema(db, opts.schema);
    const r = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const current = r.rows[0]?.schema;
    if (current === null || current === undefined)
      throw new Error('PostgreSQL search_path names no existing schema');
    schema = current;
  } catch (e) {
    await db.destroy();
    throw e;
  }

  return {
    dialect: 'postgres',
    capabilities: postgresCapabilities,
    db,
    schema,
    async relaxCommit(trx) {
      await sql`set local synchronous_commit = off`.execute(trx);
    },
    async lockChangeFeed(trx) {
      await sql`select pg_advisory_xact_lock(hashtext('mailstead:changes:' || current_schema()))`.execute(
        trx,
      );
    },
    checkIntegrity: () => Promise.resolve([]),
    close: () => db.destroy(),
  };
}
