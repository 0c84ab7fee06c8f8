// Opens the store configured for this installation: the SQL engine (migrated to the latest schema)
// and the blob store: small bodies in the database, larger ones as files under the data directory.
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { FsBlobStore } from './blob/fs-blob-store.js';
import { TieredBlobStore } from './blob/tiered-blob-store.js';
import type { Dialect, Store } from './ports.js';
import { openSqlite } from './sql/dialects/sqlite.js';
import type { SqlEngine } from './sql/engine.js';
import { migrateToLatest } from './sql/migrations/migrate.js';
import { SqlStore } from './sql/sql-store.js';

export interface OpenStoreOptions {
  kind: Dialect;
  /**
   * SQLite: a file path or ':memory:' (default `<dataDir>/mailstead.db`).
   * PostgreSQL: the connection string (required).
   */
  url?: string;
  /** Holds the SQLite file (by default) and the blobs (`<dataDir>/blobs`). */
  dataDir: string;
  /** PostgreSQL only: the schema to use (created if missing), instead of the connection's search_path. */
  schema?: string;
  /** Bodies up to this many bytes are kept in the database, larger ones as files (default 100 KiB; 0 = all files). */
  inlineBlobMax?: number;
  /** SQLite: WAL checkpoints on a background thread (the long-running server). */
  backgroundCheckpoints?: boolean;
}

export const DEFAULT_INLINE_BLOB_MAX = 100 * 1024;

function sqliteFile(url: string | undefined, dataDir: string): string {
  if (url === undefined || url === '') return join(dataDir, 'mailstead.db');
  if (url === ':memory:') return url;
  const path = url.startsWith('file:') ? url.slice('file:'.length) : url;
  return isAbsolute(path) ? path : resolve(path);
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  await mkdir(opts.dataDir, { recursive: true });
  let engine: SqlEngine;
  if (opts.kind === 'sqlite') {
    if (opts.schema !== undefined) throw new Error('a schema is a PostgreSQL option');
    engine = openSqlite(sqliteFile(opts.url, opts.dataDir), {
      backgroundCheckpoints: opts.backgroundCheckpoints === true,
    });
  } else {
    if (opts.url === undefined || opts.url === '') throw new Error('PostgreSQL needs a connection url');
    // Loaded only here: pg and its protocol modules cost an SQLite installation ~3 MB of heap.
    const { openPostgres } = await import('./sql/dialects/postgres.js');
    engine = await openPostgres({
      url: opts.url,
      ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
    });
  }
  try {
    await migrateToLatest(engine.db, engine.dialect, engine.schema);
  } catch (e) {
    await engine.close();
    throw e;
  }
  const blobDir = join(opts.dataDir, 'blobs');
  await mkdir(blobDir, { recursive: true });
  const files = new FsBlobStore(blobDir);
  return new SqlStore(
    engine,
    (inline) => new TieredBlobStore(inline, files, opts.inlineBlobMax ?? DEFAULT_INLINE_BLOB_MAX),
  );
}
