// Runs the numbered migrations with Kysely's Migrator (and its lock), from a static list so the
// compiled bundle needs no directory scan.
import { Migrator } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../../ports.js';
import type { Database } from '../schema.js';
import { initialMigration } from './0001-initial.js';
import { inlineBlobsMigration } from './0002-inline-blobs.js';

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
    '0002-inline-blobs': inlineBlobsMigration(dialect),
  };
}

export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: Dialect,
  schema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: () => Promise.resolve(migrations(dialect)) },
  });
  // Several processes may open the store at once (the server and admin commands): the migrator's
  // own bookkeeping tables can race into existence, so a failure is retried before it is reported.
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (error === undefined) return;
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    if (failed === undefined && attempt < 4) {
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
      continue;
    }
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`store migration ${failed ?? '(migrator set-up)'} failed: ${why}`, { cause: error });
  }
}
