// The first schema. One DDL for both engines: only the identity column differs (SQLite's
// AUTOINCREMENT never hands out an id twice, which the change feed and the queue rely on).
import { sql } from 'kysely';
import type { CreateTableBuilder, Kysely, Migration } from 'kysely';
import type { Dialect } from '../../ports.js';
import { UNIQUE_KEYS } from '../schema.js';
import type { UniqueKeyName } from '../schema.js';

export function initialMigration(dialect: Dialect): Migration {
  const withId = <TB extends string>(tb: CreateTableBuilder<TB, never>): CreateTableBuilder<TB, 'id'> =>
    dialect === 'sqlite'
      ? tb.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : tb.addColumn('id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  const unique = <TB extends string, C extends string>(
    tb: CreateTableBuilder<TB, C>,
    name: UniqueKeyName,
  ): CreateTableBuilder<TB, C> => tb.addUniqueConstraint(name, [...UNIQUE_KEYS[name].columns] as C[]);
  const primary = <TB extends string, C extends string>(
    tb: CreateTableBuilder<TB, C>,
    name: UniqueKeyName,
  ): CreateTableBuilder<TB, C> => tb.addPrimaryKeyConstraint(name, [...UNIQUE_KEYS[name].columns] as C[]);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema;

      await withId(s.createTable('orgs'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .$call((tb) => unique(tb, 'orgs_name_unique'))
        .execute();

      await withId(s.createTable('services'))
        .addColumn('org_id', 'bigint', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('plan', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await s.createIndex('services_org_idx').on('services').column('org_id').execute();

      await withId(s.createTable('domains'))
        .addColumn('service_id', 'bigint', (c) => c.notNull().references('services.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('is_primary', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('dkim_selector', 'text', (c) => c.notNull())
        .addColumn('dkim_private_key', 'text', (c) => c.notNull())
        .addColumn('dkim_public_key', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .$call((tb) => unique(tb, 'domains_name_unique'))
        .execute();
      await s.createIndex('domains_service_idx').on('domains').column('service_id').execute();

      await withId(s.createTable('addresses'))
        .addColumn('service_id', 'bigint', (c) => c.notNull().references('services.id').onDelete('cascade'))
        .addColumn('local_part', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('password_hash', 'text')
        .addColumn('quota_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('used_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('forward_keep_copy', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('can_manage_rules', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .$call((tb) => unique(tb, 'addresses_local_part_unique'))
        .execute();

      await withId(s.createTable('aliases'))
        .addColumn('service_id', 'bigint', (c) => c.notNull().references('services.id').onDelete('cascade'))
        .addColumn('address_id', 'bigint', (c) => c.notNull().references('addresses.id').onDelete('cascade'))
        .addColumn('local_part', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .$call((tb) => unique(tb, 'aliases_local_part_unique'))
        .execute();
      await s.createIndex('aliases_address_idx').on('aliases').column('address_id').execute();

      await s
        .createTable('address_targets')
        .addColumn('address_id', 'bigint', (c) => c.notNull().references('addresses.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .$call((tb) => primary(tb, 'address_targets_pkey'))
        .execute();

      await withId(s.createTable('mailboxes'))
        .addColumn('address_id', 'bigint', (c) => c.notNull().references('addresses.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('special_use', 'text')
        .addColumn('uid_validity', 'bigint', (c) => c.notNull())
        .addColumn('uid_next', 'bigint', (c) => c.notNull().defaultTo(1))
        .addColumn('highest_modseq', 'bigint', (c) => c.notNull().defaultTo(1))
        .addColumn('subscribed', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .$call((tb) => unique(tb, 'mailboxes_name_unique'))
        .execute();

      // The (mailbox_id, uid) unique index serves UID lists, ranges and counts.
      await withId(s.createTable('messages'))
        .addColumn('mailbox_id', 'bigint', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
        .addColumn('uid', 'bigint', (c) => c.notNull())
        .addColumn('modseq', 'bigint', (c) => c.notNull())
        .addColumn('blob_hash', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('internal_date', 'bigint', (c) => c.notNull())
        .addColumn('flags', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('seen', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('saved_at', 'bigint', (c) => c.notNull())
        .$call((tb) => unique(tb, 'messages_uid_unique'))
        .execute();
      await s.createIndex('messages_blob_idx').on('messages').column('blob_hash').execute();

      await s
        .createTable('expunged')
        .addColumn('mailbox_id', 'bigint', (c) => c.notNull().references('mailboxes.id').onDelete('cascade'))
        .addColumn('uid', 'bigint', (c) => c.notNull())
        .addColumn('modseq', 'bigint', (c) => c.notNull())
        .$call((tb) => primary(tb, 'expunged_pkey'))
        .execute();
      await s.createIndex('expunged_modseq_idx').on('expunged').columns(['mailbox_id', 'modseq']).execute();

      await withId(s.createTable('changes'))
        .addColumn('address_id', 'bigint', (c) => c.notNull().references('addresses.id').onDelete('cascade'))
        .addColumn('mailbox_id', 'bigint', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('uid', 'bigint')
        .addColumn('modseq', 'bigint')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await s.createIndex('changes_address_idx').on('changes').columns(['address_id', 'id']).execute();
      await s.createIndex('changes_at_idx').on('changes').column('at').execute();

      await withId(s.createTable('queue'))
        .addColumn('envelope_id', 'text', (c) => c.notNull())
        .addColumn('sender', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('blob_hash', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued'))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('delay_notified', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('meta', 'text', (c) => c.notNull().defaultTo('{}'))
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .execute();
      await s.createIndex('queue_due_idx').on('queue').columns(['status', 'next_attempt_at']).execute();
      await s.createIndex('queue_blob_idx').on('queue').column('blob_hash').execute();
      await s.createIndex('queue_envelope_idx').on('queue').column('envelope_id').execute();

      await s
        .createTable('sieve_scripts')
        .addColumn('address_id', 'bigint', (c) => c.notNull().references('addresses.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .$call((tb) => primary(tb, 'sieve_scripts_pkey'))
        .execute();
      // "At most one active script per address", held by the engine rather than by discipline.
      await s
        .createIndex('sieve_scripts_one_active')
        .on('sieve_scripts')
        .column('address_id')
        .unique()
        .where(sql.ref('active'), '=', 1)
        .execute();

      await s
        .createTable('kv')
        .addColumn('ns', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .$call((tb) => primary(tb, 'kv_pkey'))
        .execute();
      await s.createIndex('kv_expires_idx').on('kv').column('expires_at').execute();

      await withId(s.createTable('mail_log'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('event', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await s.createIndex('mail_log_address_idx').on('mail_log').columns(['address', 'at']).execute();
      await s.createIndex('mail_log_message_idx').on('mail_log').column('message_id').execute();
      await s.createIndex('mail_log_at_idx').on('mail_log').column('at').execute();

      await s
        .createTable('counters')
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .$call((tb) => primary(tb, 'counters_pkey'))
        .execute();
      await db
        .insertInto('counters' as never)
        .values({ name: 'uid_validity', value: 0 } as never)
        .execute();
    },
  };
}
