// Sieve scripts per address; the DDL's partial unique index keeps at most one active.
import type { Selectable } from 'kysely';
import type { SieveScriptRecord, SieveStore } from '../ports.js';
import type { Exec } from './context.js';
import { prepared } from './prepared.js';
import { affected, toBool } from './rows.js';
import type { SieveScriptsTable } from './schema.js';

const toScript = (r: Selectable<SieveScriptsTable>): SieveScriptRecord => ({
  addressId: r.address_id,
  name: r.name,
  source: r.source,
  active: toBool(r.active),
  updatedAt: r.updated_at,
});

// Read at every delivery: compiled once.
const activeScript = prepared((db, addressId: number) =>
  db.selectFrom('sieve_scripts').selectAll().where('address_id', '=', addressId).where('active', '=', 1),
);

export class SqlSieveStore implements SieveStore {
  constructor(private readonly x: Exec) {}

  async put(addressId: number, name: string, source: string): Promise<void> {
    await this.x
      .db()
      .insertInto('sieve_scripts')
      .values({ address_id: addressId, name, source, active: 0, updated_at: Date.now() })
      .onConflict((oc) =>
        oc.columns(['address_id', 'name']).doUpdateSet((eb) => ({
          source: eb.ref('excluded.source'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }

  async get(addressId: number, name: string): Promise<SieveScriptRecord | undefined> {
    const r = await this.x
      .db()
      .selectFrom('sieve_scripts')
      .selectAll()
      .where('address_id', '=', addressId)
      .where('name', '=', name)
      .executeTakeFirst();
    return r && toScript(r);
  }

  async list(addressId: number): Promise<SieveScriptRecord[]> {
    const rows = await this.x
      .db()
      .selectFrom('sieve_scripts')
      .selectAll()
      .where('address_id', '=', addressId)
      .orderBy('name')
      .execute();
    return rows.map(toScript);
  }

  async delete(addressId: number, name: string): Promise<boolean> {
    const r = await this.x
      .db()
      .deleteFrom('sieve_scripts')
      .where('address_id', '=', addressId)
      .where('name', '=', name)
      .executeTakeFirst();
    return affected(r.numDeletedRows) > 0;
  }

  async rename(addressId: number, from: string, to: string): Promise<boolean> {
    const r = await this.x
      .db()
      .updateTable('sieve_scripts')
      .set({ name: to, updated_at: Date.now() })
      .where('address_id', '=', addressId)
      .where('name', '=', from)
      .executeTakeFirst();
    return affected(r.numUpdatedRows) > 0;
  }

  async setActive(addressId: number, name: string | null): Promise<void> {
    await this.x.atomic(async ({ db }) => {
      if (name !== null) {
        const exists = await db
          .selectFrom('sieve_scripts')
          .select('name')
          .where('address_id', '=', addressId)
          .where('name', '=', name)
          .executeTakeFirst();
        // Activating a missing script must not silently switch filtering off.
        if (exists === undefined)
          throw new Error(`no sieve script ${JSON.stringify(name)} for address ${addressId}`);
      }
      // Deactivate first: the one-active index is checked per statement.
      await db
        .updateTable('sieve_scripts')
        .set({ active: 0 })
        .where('address_id', '=', addressId)
        .where('active', '=', 1)
        .execute();
      if (name !== null) {
        await db
          .updateTable('sieve_scripts')
          .set({ active: 1 })
          .where('address_id', '=', addressId)
          .where('name', '=', name)
          .execute();
      }
    });
  }

  async getActive(addressId: number): Promise<SieveScriptRecord | undefined> {
    const [r] = await activeScript.rows(this.x, addressId);
    return r && toScript(r);
  }
}
