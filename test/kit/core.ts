// Test harness: a real Core on a fresh store of each engine (SQLite in a temp dir, PostgreSQL in a
// fresh schema). PostgreSQL is skipped with a visible notice when unreachable, unless
// MAILSTEAD_REQUIRE_PG=1, where its absence fails the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestContext } from 'node:test';
import { openStore } from '../../src/store/open.js';
import { createCoreEvents, type Core } from '../../src/core/context.js';
import { silentLogger } from '../../src/server/logger.js';
import type { Dialect } from '../../src/store/ports.js';

export const PG_URL = process.env['MAILSTEAD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

let pgReachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => undefined);
    }
  })();
  return pgReachable;
}

export interface TestCore {
  core: Core;
  dataDir: string;
  /** The store options, to open a second handle on the same data (another "process"). */
  storeOptions: { kind: Dialect; dataDir: string; url?: string; schema?: string };
  close(): Promise<void>;
}

export async function makeCore(kind: Dialect, opts: { now?: () => number } = {}): Promise<TestCore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-test-'));
  const schema = kind === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const storeOptions =
    kind === 'postgres' ? { kind, dataDir, url: PG_URL, schema: schema! } : { kind, dataDir };
  const store = await openStore(storeOptions);
  const core: Core = {
    store,
    log: silentLogger(),
    hostname: 'mx.test',
    now: opts.now ?? (() => Date.now()),
    events: createCoreEvents(),
  };
  return {
    core,
    dataDir,
    storeOptions,
    async close() {
      await store.close();
      if (schema) {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The engines a suite runs on: sqlite always; postgres when reachable or required. */
export const ENGINES: Dialect[] = ['sqlite', 'postgres'];

/** Returns false (and marks the test skipped with the reason) when this engine can't run here. */
export async function engineAvailable(t: TestContext, kind: Dialect): Promise<boolean> {
  if (kind === 'sqlite') return true;
  if (await postgresReachable()) return true;
  if (process.env['MAILSTEAD_REQUIRE_PG'] === '1')
    throw new Error(`PostgreSQL required (MAILSTEAD_REQUIRE_PG=1) but unreachable at ${PG_URL}`);
  t.skip(`PostgreSQL unreachable at ${PG_URL}: skipped (set MAILSTEAD_REQUIRE_PG=1 to make this fail)`);
  return false;
}
