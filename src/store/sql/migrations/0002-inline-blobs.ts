// Small message bodies in the database (see ../blob-store.ts). The hash is the key; on SQLite the
// table keeps its rowid (a WITHOUT ROWID table stores whole rows in its key b-tree, which suits rows
// far smaller than these).
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../../ports.js';
import { UNIQUE_KEYS } from '../schema.js';

export function inlineBlobsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('blobs')
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('data', dialect === 'sqlite' ? 'blob' : 'bytea', (c) => c.notNull())
        .addPrimaryKeyConstraint('blobs_pkey', [...UNIQUE_KEYS.blobs_pkey.columns])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('blobs').execute();
    },
  };
}
