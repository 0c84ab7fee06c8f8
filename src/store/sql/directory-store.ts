// Organisations, mail services, domains, addresses, aliases and forwarding targets.
import type { Selectable, Updateable } from 'kysely';
import type {
  AddressKind,
  AddressPatch,
  AddressRecord,
  AddressState,
  AliasRecord,
  DirectoryStore,
  DomainRecord,
  NewAddress,
  OrgRecord,
  PlanName,
  ServiceRecord,
  TargetKind,
} from '../ports.js';
import type { Exec } from './context.js';
import { prepared } from './prepared.js';
import { toBool, toInt } from './rows.js';
import type { AddressesTable, AliasesTable, DomainsTable, ServicesTable } from './schema.js';

const toService = (r: Selectable<ServicesTable>): ServiceRecord => ({
  id: r.id,
  orgId: r.org_id,
  name: r.name,
  plan: r.plan as PlanName,
  createdAt: r.created_at,
});

const toDomain = (r: Selectable<DomainsTable>): DomainRecord => ({
  id: r.id,
  serviceId: r.service_id,
  name: r.name,
  isPrimary: toBool(r.is_primary),
  dkimSelector: r.dkim_selector,
  dkimPrivateKey: r.dkim_private_key,
  dkimPublicKey: r.dkim_public_key,
  createdAt: r.created_at,
});

const toAddress = (r: Selectable<AddressesTable>): AddressRecord => ({
  id: r.id,
  serviceId: r.service_id,
  localPart: r.local_part,
  kind: r.kind as AddressKind,
  displayName: r.display_name,
  passwordHash: r.password_hash,
  quotaBytes: r.quota_bytes,
  usedBytes: r.used_bytes,
  state: r.state as AddressState,
  forwardKeepCopy: toBool(r.forward_keep_copy),
  canManageRules: toBool(r.can_manage_rules),
  createdAt: r.created_at,
});

const toAlias = (r: Selectable<AliasesTable>): AliasRecord => ({
  id: r.id,
  serviceId: r.service_id,
  addressId: r.address_id,
  localPart: r.local_part,
  createdAt: r.created_at,
});

type AddressUpdate = Updateable<AddressesTable>;

function addressUpdate(patch: AddressPatch): AddressUpdate {
  const u: AddressUpdate = {};
  if (patch.localPart !== undefined) u.local_part = patch.localPart;
  if (patch.displayName !== undefined) u.display_name = patch.displayName;
  if (patch.passwordHash !== undefined) u.password_hash = patch.passwordHash;
  if (patch.quotaBytes !== undefined) u.quota_bytes = patch.quotaBytes;
  if (patch.state !== undefined) u.state = patch.state;
  if (patch.forwardKeepCopy !== undefined) u.forward_keep_copy = toInt(patch.forwardKeepCopy);
  if (patch.canManageRules !== undefined) u.can_manage_rules = toInt(patch.canManageRules);
  return u;
}

// The lookups every delivery and login makes (recipient resolution, account, quota), compiled once.
const domainByName = prepared((db, name: string) =>
  db.selectFrom('domains').selectAll().where('name', '=', name),
);
const domainsOfService = prepared((db, serviceId: number) =>
  db.selectFrom('domains').selectAll().where('service_id', '=', serviceId).orderBy('id'),
);
const addressById = prepared((db, id: number) => db.selectFrom('addresses').selectAll().where('id', '=', id));
const addressByLocalPart = prepared((db, serviceId: number, localPart: string) =>
  db
    .selectFrom('addresses')
    .selectAll()
    .where('service_id', '=', serviceId)
    .where('local_part', '=', localPart),
);
const aliasByLocalPart = prepared((db, serviceId: number, localPart: string) =>
  db
    .selectFrom('aliases')
    .selectAll()
    .where('service_id', '=', serviceId)
    .where('local_part', '=', localPart),
);
// Every stored or removed message moves the quota counter. Clamped at zero: a drifted counter must not
// turn into "negative usage" that hides real usage.
const addUsedBytes = prepared((db, id: number, delta: number) =>
  db
    .updateTable('addresses')
    .set((eb) => ({
      used_bytes: eb
        .case()
        .when(eb('used_bytes', '+', delta), '<', 0)
        .then(0)
        .else(eb('used_bytes', '+', delta))
        .end(),
    }))
    .where('id', '=', id),
);
const targetsOf = prepared((db, addressId: number, kind: string) =>
  db
    .selectFrom('address_targets')
    .select('target')
    .where('address_id', '=', addressId)
    .where('kind', '=', kind)
    .orderBy('position'),
);

export class SqlDirectoryStore implements DirectoryStore {
  constructor(private readonly x: Exec) {}

  async createOrg(name: string): Promise<OrgRecord> {
    const r = await this.x
      .db()
      .insertInto('orgs')
      .values({ name, created_at: Date.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { id: r.id, name: r.name, createdAt: r.created_at };
  }

  async findOrgByName(name: string): Promise<OrgRecord | undefined> {
    const r = await this.x.db().selectFrom('orgs').selectAll().where('name', '=', name).executeTakeFirst();
    return r && { id: r.id, name: r.name, createdAt: r.created_at };
  }

  async createService(s: { orgId: number; name: string; plan: PlanName }): Promise<ServiceRecord> {
    const r = await this.x
      .db()
      .insertInto('services')
      .values({ org_id: s.orgId, name: s.name, plan: s.plan, created_at: Date.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toService(r);
  }

  async getService(id: number): Promise<ServiceRecord | undefined> {
    const r = await this.x.db().selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toService(r);
  }

  async listServices(): Promise<ServiceRecord[]> {
    const rows = await this.x.db().selectFrom('services').selectAll().orderBy('id').execute();
    return rows.map(toService);
  }

  async setServicePlan(id: number, plan: PlanName): Promise<void> {
    await this.x.db().updateTable('services').set({ plan }).where('id', '=', id).execute();
  }

  async deleteService(id: number): Promise<void> {
    await this.x.db().deleteFrom('services').where('id', '=', id).execute();
  }

  async createDomain(d: Omit<DomainRecord, 'id' | 'createdAt'>): Promise<DomainRecord> {
    const r = await this.x
      .db()
      .insertInto('domains')
      .values({
        service_id: d.serviceId,
        name: d.name,
        is_primary: toInt(d.isPrimary),
        dkim_selector: d.dkimSelector,
        dkim_private_key: d.dkimPrivateKey,
        dkim_public_key: d.dkimPublicKey,
        created_at: Date.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDomain(r);
  }

  async findDomain(name: string): Promise<DomainRecord | undefined> {
    const [r] = await domainByName.rows(this.x, name);
    return r && toDomain(r);
  }

  async listDomains(serviceId?: number): Promise<DomainRecord[]> {
    if (serviceId !== undefined) return (await domainsOfService.rows(this.x, serviceId)).map(toDomain);
    let q = this.x.db().selectFrom('domains').selectAll();
    if (serviceId !== undefined) q = q.where('service_id', '=', serviceId);
    return (await q.orderBy('id').execute()).map(toDomain);
  }

  async setPrimaryDomain(serviceId: number, domainId: number): Promise<void> {
    await this.x.atomic(async ({ db }) => {
      const target = await db
        .selectFrom('domains')
        .select('id')
        .where('id', '=', domainId)
        .where('service_id', '=', serviceId)
        .executeTakeFirst();
      // A domain of another service must not strip this one of its primary.
      if (target === undefined) throw new Error(`domain ${domainId} does not belong to service ${serviceId}`);
      await db
        .updateTable('domains')
        .set({ is_primary: 0 })
        .where('service_id', '=', serviceId)
        .where('id', '!=', domainId)
        .execute();
      await db.updateTable('domains').set({ is_primary: 1 }).where('id', '=', domainId).execute();
    });
  }

  async deleteDomain(id: number): Promise<void> {
    await this.x.db().deleteFrom('domains').where('id', '=', id).execute();
  }

  async createAddress(a: NewAddress): Promise<AddressRecord> {
    const r = await this.x
      .db()
      .insertInto('addresses')
      .values({
        service_id: a.serviceId,
        local_part: a.localPart,
        kind: a.kind,
        display_name: a.displayName,
        password_hash: a.passwordHash,
        quota_bytes: a.quotaBytes,
        used_bytes: 0,
        state: 'active',
        forward_keep_copy: 1,
        can_manage_rules: 1,
        created_at: Date.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAddress(r);
  }

  async getAddress(id: number): Promise<AddressRecord | undefined> {
    const [r] = await addressById.rows(this.x, id);
    return r && toAddress(r);
  }

  async findAddress(serviceId: number, localPart: string): Promise<AddressRecord | undefined> {
    const [r] = await addressByLocalPart.rows(this.x, serviceId, localPart);
    return r && toAddress(r);
  }

  async listAddresses(serviceId?: number): Promise<AddressRecord[]> {
    let q = this.x.db().selectFrom('addresses').selectAll();
    if (serviceId !== undefined) q = q.where('service_id', '=', serviceId);
    return (await q.orderBy('id').execute()).map(toAddress);
  }

  async countAddresses(serviceId: number, kind?: AddressKind): Promise<number> {
    let q = this.x
      .db()
      .selectFrom('addresses')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('service_id', '=', serviceId);
    if (kind !== undefined) q = q.where('kind', '=', kind);
    const r = await q.executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async updateAddress(id: number, patch: AddressPatch): Promise<void> {
    const u = addressUpdate(patch);
    if (Object.keys(u).length === 0) return;
    await this.x.db().updateTable('addresses').set(u).where('id', '=', id).execute();
  }

  async addUsedBytes(id: number, delta: number): Promise<void> {
    await addUsedBytes.execute(this.x.engine, this.x.db(), id, delta);
  }

  async deleteAddress(id: number): Promise<void> {
    await this.x.db().deleteFrom('addresses').where('id', '=', id).execute();
  }

  async createAlias(a: { serviceId: number; addressId: number; localPart: string }): Promise<AliasRecord> {
    const r = await this.x
      .db()
      .insertInto('aliases')
      .values({
        service_id: a.serviceId,
        address_id: a.addressId,
        local_part: a.localPart,
        created_at: Date.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAlias(r);
  }

  async findAlias(serviceId: number, localPart: string): Promise<AliasRecord | undefined> {
    const [r] = await aliasByLocalPart.rows(this.x, serviceId, localPart);
    return r && toAlias(r);
  }

  async listAliases(filter: { serviceId?: number; addressId?: number }): Promise<AliasRecord[]> {
    let q = this.x.db().selectFrom('aliases').selectAll();
    if (filter.serviceId !== undefined) q = q.where('service_id', '=', filter.serviceId);
    if (filter.addressId !== undefined) q = q.where('address_id', '=', filter.addressId);
    return (await q.orderBy('id').execute()).map(toAlias);
  }

  async deleteAlias(id: number): Promise<void> {
    await this.x.db().deleteFrom('aliases').where('id', '=', id).execute();
  }

  async setTargets(addressId: number, kind: TargetKind, targets: string[]): Promise<void> {
    await this.x.atomic(async ({ db }) => {
      await db
        .deleteFrom('address_targets')
        .where('address_id', '=', addressId)
        .where('kind', '=', kind)
        .execute();
      if (targets.length === 0) return;
      await db
        .insertInto('address_targets')
        .values(targets.map((target, position) => ({ address_id: addressId, kind, position, target })))
        .execute();
    });
  }

  async listTargets(addressId: number, kind: TargetKind): Promise<string[]> {
    const rows = await targetsOf.rows(this.x, addressId, kind);
    return rows.map((r) => r.target);
  }
}
