// Runs the numbered migrations with Kysely's Migrator (and its lock), from a static list so the
// compiled bundle needs no directory scan.
import { Migrator } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../../ports.js';
import type { Database } from '../schema.js';
import { initialMigration } from './0001-initial.js';

export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial': initialMigration(dialect),
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
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`store migration ${failed} failed`, { cause: error });
  }
}
