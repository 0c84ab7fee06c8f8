// Directory administration: domains, addresses, aliases, redirections, forwarding and plans.
// Every operation validates first, then writes in ONE transaction, so a refused or failed action
// leaves nothing half-written. The CLI and the HTTP API both call these functions.
import type { Core } from '../context.js';
import type { AddressRecord, DomainRecord, PlanName, ServiceRecord, StoreRoles } from '../../store/ports.js';
import { StoreConflictError } from '../../store/ports.js';
import { MailError } from '../errors.js';
import { normaliseDomain, parseAddress, type ParsedAddress } from '../../wire/address.js';
import { hashPassword } from '../security/password.js';
import { ensureDefaultFolders } from '../mailbox/default-folders.js';
import { accountOf, type Account } from './accounts.js';
import { generateDkimKey } from './dkim-keys.js';
import { PLANS, planLimits } from './plans.js';
import { CATCHALL_LOCAL_PART } from './resolve.js';

export const DEFAULT_DKIM_SELECTOR = 'mailstead';

function needDomain(name: string): string {
  const d = normaliseDomain(name);
  if (!d) throw new MailError('INVALID_ARGUMENT', `invalid domain name: ${JSON.stringify(name)}`);
  return d;
}

function needAddress(input: string): ParsedAddress {
  const p = parseAddress(input);
  if (!p) throw new MailError('INVALID_ADDRESS', `invalid address: ${JSON.stringify(input)}`);
  return p;
}

async function domainOf(roles: StoreRoles, domain: string): Promise<DomainRecord> {
  const d = await roles.directory.findDomain(domain);
  if (!d) throw new MailError('DOMAIN_NOT_FOUND', `unknown domain: ${domain}`);
  return d;
}

async function serviceOf(roles: StoreRoles, serviceId: number): Promise<ServiceRecord> {
  const s = await roles.directory.getService(serviceId);
  if (!s) throw new MailError('NOT_FOUND', `mail service ${serviceId} not found`);
  return s;
}

/** Resolves "local@domain" to the address record it names (no alias, no catch-all). */
async function addressOf(
  roles: StoreRoles,
  input: string,
): Promise<{ record: AddressRecord; domain: DomainRecord }> {
  const p = needAddress(input);
  const domain = await domainOf(roles, p.domain);
  const record = await roles.directory.findAddress(domain.serviceId, p.local);
  if (!record) throw new MailError('NOT_FOUND', `no such address: ${p.local}@${p.domain}`);
  return { record, domain };
}

/** A local part is one name per service, whether it belongs to an address, an alias or a redirection. */
async function assertNameFree(
  roles: StoreRoles,
  serviceId: number,
  local: string,
  shown: string,
): Promise<void> {
  if (await roles.directory.findAddress(serviceId, local))
    throw new MailError('ALREADY_EXISTS', `address already exists: ${shown}`);
  if (await roles.directory.findAlias(serviceId, local))
    throw new MailError('ALREADY_EXISTS', `an alias already uses: ${shown}`);
}

/** Maps a unique-constraint race (two admins at once) to the same error a sequential check gives. */
async function tx<T>(core: Core, fn: (roles: StoreRoles) => Promise<T>): Promise<T> {
  try {
    return await core.store.transaction(fn);
  } catch (e) {
    if (e instanceof StoreConflictError)
      throw new MailError('ALREADY_EXISTS', `already exists (${e.constraint})`);
    throw e;
  }
}

// --- domains -------------------------------------------------------------------------------------

export interface DomainView {
  name: string;
  primary: boolean;
  serviceId: number;
  serviceName: string;
  plan: PlanName;
  dkimSelector: string;
}

/** Creates a mail service (in its own organisation unless `org` names one) with this primary domain. */
export async function addDomain(
  core: Core,
  name: string,
  opts: { plan?: PlanName; org?: string; dkimSelector?: string } = {},
): Promise<DomainRecord> {
  const domain = needDomain(name);
  const plan = opts.plan ?? 'premium';
  const key = generateDkimKey();
  return tx(core, async (roles) => {
    if (await roles.directory.findDomain(domain))
      throw new MailError('ALREADY_EXISTS', `domain already exists: ${domain}`);
    const orgName = opts.org ?? domain;
    const org = (await roles.directory.findOrgByName(orgName)) ?? (await roles.directory.createOrg(orgName));
    const service = await roles.directory.createService({ orgId: org.id, name: domain, plan });
    return roles.directory.createDomain({
      serviceId: service.id,
      name: domain,
      isPrimary: true,
      dkimSelector: opts.dkimSelector ?? DEFAULT_DKIM_SELECTOR,
      dkimPrivateKey: key.privateKeyPem,
      dkimPublicKey: key.publicKeyB64,
    });
  });
}

/** Links `newDomain` to the service that owns `existing`: every address answers on it too. */
export async function linkDomain(core: Core, existing: string, newDomain: string): Promise<DomainRecord> {
  const have = needDomain(existing);
  const add = needDomain(newDomain);
  const key = generateDkimKey();
  return tx(core, async (roles) => {
    const owner = await domainOf(roles, have);
    if (await roles.directory.findDomain(add))
      throw new MailError('ALREADY_EXISTS', `domain already exists: ${add}`);
    return roles.directory.createDomain({
      serviceId: owner.serviceId,
      name: add,
      isPrimary: false,
      dkimSelector: owner.dkimSelector,
      dkimPrivateKey: key.privateKeyPem,
      dkimPublicKey: key.publicKeyB64,
    });
  });
}

export async function unlinkDomain(core: Core, name: string): Promise<void> {
  const domain = needDomain(name);
  await tx(core, async (roles) => {
    const d = await domainOf(roles, domain);
    if (d.isPrimary) {
      throw new MailError(
        'INVALID_ARGUMENT',
        `${domain} is the primary domain of its service; set another domain as primary first`,
      );
    }
    await roles.directory.deleteDomain(d.id);
  });
}

/**
 * Makes a linked domain the primary one. Addresses are stored by local part within the service, so
 * every address, alias and redirection is renamed at once, no mail moves, and logins by the old
 * domain keep working because the old primary stays linked.
 */
export async function setPrimaryDomain(core: Core, name: string): Promise<DomainRecord> {
  const domain = needDomain(name);
  return tx(core, async (roles) => {
    const d = await domainOf(roles, domain);
    if (!d.isPrimary) await roles.directory.setPrimaryDomain(d.serviceId, d.id);
    return (await roles.directory.findDomain(domain))!;
  });
}

export async function listDomains(core: Core): Promise<DomainView[]> {
  const services = new Map((await core.store.directory.listServices()).map((s) => [s.id, s]));
  return (await core.store.directory.listDomains()).map((d) => {
    const s = services.get(d.serviceId)!;
    return {
      name: d.name,
      primary: d.isPrimary,
      serviceId: d.serviceId,
      serviceName: s.name,
      plan: s.plan,
      dkimSelector: d.dkimSelector,
    };
  });
}

export async function getDomain(core: Core, name: string): Promise<DomainRecord> {
  return domainOf(core.store, needDomain(name));
}

export async function setPlan(core: Core, domainName: string, plan: PlanName): Promise<void> {
  const domain = needDomain(domainName);
  const limits = planLimits(plan);
  await tx(core, async (roles) => {
    const d = await domainOf(roles, domain);
    const mailboxes = await roles.directory.countAddresses(d.serviceId, 'mailbox');
    if (mailboxes > limits.maxAddresses) {
      throw new MailError(
        'PLAN_LIMIT',
        `plan ${plan} allows ${limits.maxAddresses} address(es); the service has ${mailboxes}`,
      );
    }
    if (!limits.catchAll && (await roles.directory.findAddress(d.serviceId, CATCHALL_LOCAL_PART))) {
      throw new MailError(
        'PLAN_LIMIT',
        `plan ${plan} does not allow a catch-all address; remove ${CATCHALL_LOCAL_PART}@${domain} first`,
      );
    }
    const redirects = await roles.directory.countAddresses(d.serviceId, 'redirect');
    if (redirects > limits.redirectsPerAddress * Math.max(1, mailboxes)) {
      throw new MailError(
        'PLAN_LIMIT',
        `plan ${plan} allows fewer redirection addresses than the service has (${redirects})`,
      );
    }
    await roles.directory.setServicePlan(d.serviceId, plan);
  });
}

// --- addresses -----------------------------------------------------------------------------------

export interface AddressView {
  address: string;
  kind: AddressRecord['kind'];
  displayName: string;
  state: AddressRecord['state'];
  quotaBytes: number;
  usedBytes: number;
  aliases: string[];
  redirectTargets: string[];
  forwardTargets: string[];
  forwardKeepCopy: boolean;
  canManageRules: boolean;
}

export async function addAddress(
  core: Core,
  input: string,
  opts: { password: string; displayName?: string; quotaBytes?: number },
): Promise<Account> {
  const p = needAddress(input);
  if (opts.password.length < 1) throw new MailError('INVALID_ARGUMENT', 'a password is required');
  const hash = await hashPassword(opts.password);
  return tx(core, async (roles) => {
    const d = await domainOf(roles, p.domain);
    const service = await serviceOf(roles, d.serviceId);
    const limits = planLimits(service.plan);
    await assertNameFree(roles, d.serviceId, p.local, `${p.local}@${p.domain}`);
    if (p.local === CATCHALL_LOCAL_PART && !limits.catchAll) {
      throw new MailError('PLAN_LIMIT', `a catch-all address is not allowed on the ${limits.label} plan`);
    }
    const count = await roles.directory.countAddresses(d.serviceId, 'mailbox');
    if (count >= limits.maxAddresses) {
      throw new MailError('PLAN_LIMIT', `the ${limits.label} plan allows ${limits.maxAddresses} address(es)`);
    }
    const record = await roles.directory.createAddress({
      serviceId: d.serviceId,
      localPart: p.local,
      kind: 'mailbox',
      displayName: opts.displayName ?? '',
      passwordHash: hash,
      quotaBytes: opts.quotaBytes ?? limits.defaultQuotaBytes,
    });
    await ensureDefaultFolders(roles, record.id);
    return accountOf(roles, record);
  });
}

export async function setPassword(core: Core, input: string, password: string): Promise<void> {
  if (password.length < 1) throw new MailError('INVALID_ARGUMENT', 'a password is required');
  const hash = await hashPassword(password);
  await tx(core, async (roles) => {
    const { record } = await addressOf(roles, input);
    if (record.kind !== 'mailbox')
      throw new MailError('INVALID_ARGUMENT', `${input} is a redirection address; it has no password`);
    await roles.directory.updateAddress(record.id, { passwordHash: hash });
  });
}

export async function updateAddress(
  core: Core,
  input: string,
  patch: {
    displayName?: string;
    quotaBytes?: number;
    state?: AddressRecord['state'];
    canManageRules?: boolean;
  },
): Promise<void> {
  await tx(core, async (roles) => {
    const { record } = await addressOf(roles, input);
    await roles.directory.updateAddress(record.id, patch);
  });
}

/** Removes an address and everything it holds (mail, folders, aliases, rules); the blobs are collected later. */
export async function removeAddress(core: Core, input: string): Promise<void> {
  await tx(core, async (roles) => {
    const { record } = await addressOf(roles, input);
    await roles.directory.deleteAddress(record.id);
  });
}

async function viewOf(roles: StoreRoles, record: AddressRecord): Promise<AddressView> {
  const account = await accountOf(roles, record);
  const aliases = await roles.directory.listAliases({ addressId: record.id });
  return {
    address: account.address,
    kind: record.kind,
    displayName: record.displayName,
    state: record.state,
    quotaBytes: record.quotaBytes,
    usedBytes: record.usedBytes,
    aliases: aliases.map((a) => `${a.localPart}@${account.domain}`),
    redirectTargets:
      record.kind === 'redirect' ? await roles.directory.listTargets(record.id, 'redirect') : [],
    forwardTargets: record.kind === 'mailbox' ? await roles.directory.listTargets(record.id, 'forward') : [],
    forwardKeepCopy: record.forwardKeepCopy,
    canManageRules: record.canManageRules,
  };
}

export async function showAddress(core: Core, input: string): Promise<AddressView> {
  const { record } = await addressOf(core.store, input);
  return viewOf(core.store, record);
}

/** Every address (optionally of the service owning `domain`), named on the primary domain. */
export async function listAddresses(core: Core, domain?: string): Promise<AddressView[]> {
  let serviceId: number | undefined;
  if (domain !== undefined) serviceId = (await domainOf(core.store, needDomain(domain))).serviceId;
  const records = await core.store.directory.listAddresses(serviceId);
  const views: AddressView[] = [];
  for (const r of records) views.push(await viewOf(core.store, r));
  return views.sort((a, b) => a.address.localeCompare(b.address));
}

// --- aliases, redirections, forwarding -----------------------------------------------------------

/** Adds `alias` (local part on a domain of the same service) delivering to `target`. */
export async function addAlias(core: Core, aliasInput: string, targetInput: string): Promise<void> {
  const a = needAddress(aliasInput);
  await tx(core, async (roles) => {
    const { record, domain } = await addressOf(roles, targetInput);
    const aliasDomain = await domainOf(roles, a.domain);
    if (aliasDomain.serviceId !== domain.serviceId) {
      throw new MailError(
        'INVALID_ARGUMENT',
        `alias ${aliasInput} must be on a domain of the same mail service as ${targetInput}`,
      );
    }
    if (record.kind !== 'mailbox')
      throw new MailError('INVALID_ARGUMENT', `cannot add an alias to a redirection address`);
    if (record.localPart === CATCHALL_LOCAL_PART)
      throw new MailError('INVALID_ARGUMENT', 'cannot add an alias to the catch-all address');
    if (a.local === CATCHALL_LOCAL_PART)
      throw new MailError('INVALID_ARGUMENT', `"${CATCHALL_LOCAL_PART}" cannot be an alias`);
    await assertNameFree(roles, domain.serviceId, a.local, `${a.local}@${a.domain}`);
    await roles.directory.createAlias({
      serviceId: domain.serviceId,
      addressId: record.id,
      localPart: a.local,
    });
  });
}

export async function removeAlias(core: Core, aliasInput: string): Promise<void> {
  const a = needAddress(aliasInput);
  await tx(core, async (roles) => {
    const d = await domainOf(roles, a.domain);
    const alias = await roles.directory.findAlias(d.serviceId, a.local);
    if (!alias) throw new MailError('NOT_FOUND', `no such alias: ${a.local}@${a.domain}`);
    await roles.directory.deleteAlias(alias.id);
  });
}

function needTargets(targets: string[], max: number, what: string): string[] {
  if (targets.length === 0)
    throw new MailError('INVALID_ARGUMENT', `${what}: at least one target is required`);
  if (targets.length > max) throw new MailError('PLAN_LIMIT', `${what}: at most ${max} targets`);
  const out: string[] = [];
  for (const t of targets) {
    const p = needAddress(t);
    const norm = `${p.localRaw}@${p.domain}`;
    if (!out.some((o) => o.toLowerCase() === norm.toLowerCase())) out.push(norm);
  }
  return out;
}

/** Creates (or replaces the targets of) a redirection-only address: no mailbox, forwards only. */
export async function setRedirect(core: Core, input: string, targets: string[]): Promise<void> {
  const p = needAddress(input);
  await tx(core, async (roles) => {
    const d = await domainOf(roles, p.domain);
    const service = await serviceOf(roles, d.serviceId);
    const limits = planLimits(service.plan);
    const list = needTargets(targets, limits.maxRedirectTargets, `redirection ${input}`);
    if (list.some((t) => t.toLowerCase() === `${p.local}@${p.domain}`)) {
      throw new MailError('INVALID_ARGUMENT', 'a redirection cannot target itself');
    }
    let record = await roles.directory.findAddress(d.serviceId, p.local);
    if (record && record.kind !== 'redirect')
      throw new MailError('ALREADY_EXISTS', `${input} is a mailbox address, not a redirection`);
    if (!record) {
      if (await roles.directory.findAlias(d.serviceId, p.local))
        throw new MailError('ALREADY_EXISTS', `an alias already uses: ${input}`);
      const mailboxes = await roles.directory.countAddresses(d.serviceId, 'mailbox');
      const redirects = await roles.directory.countAddresses(d.serviceId, 'redirect');
      const allowed = limits.redirectsPerAddress * Math.max(1, mailboxes);
      if (redirects >= allowed)
        throw new MailError(
          'PLAN_LIMIT',
          `the ${limits.label} plan allows ${allowed} redirection address(es) here`,
        );
      record = await roles.directory.createAddress({
        serviceId: d.serviceId,
        localPart: p.local,
        kind: 'redirect',
        displayName: '',
        passwordHash: null,
        quotaBytes: 0,
      });
    }
    await roles.directory.setTargets(record.id, 'redirect', list);
  });
}

export async function removeRedirect(core: Core, input: string): Promise<void> {
  await tx(core, async (roles) => {
    const { record } = await addressOf(roles, input);
    if (record.kind !== 'redirect')
      throw new MailError('INVALID_ARGUMENT', `${input} is not a redirection address`);
    await roles.directory.deleteAddress(record.id);
  });
}

/** Forwarding on a mailbox address; an empty list turns it off (and drops all targets). */
export async function setForwarding(
  core: Core,
  input: string,
  targets: string[],
  keepCopy: boolean,
): Promise<void> {
  await tx(core, async (roles) => {
    const { record, domain } = await addressOf(roles, input);
    if (record.kind !== 'mailbox')
      throw new MailError('INVALID_ARGUMENT', `${input} is a redirection address`);
    const service = await serviceOf(roles, domain.serviceId);
    const limits = planLimits(service.plan);
    if (targets.length === 0) {
      await roles.directory.setTargets(record.id, 'forward', []);
      await roles.directory.updateAddress(record.id, { forwardKeepCopy: false });
      return;
    }
    if (limits.maxForwardTargets === 0)
      throw new MailError('PLAN_LIMIT', `forwarding is not available on the ${limits.label} plan`);
    const list = needTargets(targets, limits.maxForwardTargets, `forwarding of ${input}`);
    const own = new Set([
      record.localPart,
      ...(await roles.directory.listAliases({ addressId: record.id })).map((a) => a.localPart),
    ]);
    const domains = new Set((await roles.directory.listDomains(domain.serviceId)).map((d) => d.name));
    for (const t of list) {
      const tp = parseAddress(t)!;
      if (domains.has(tp.domain) && own.has(tp.local)) {
        throw new MailError(
          'INVALID_ARGUMENT',
          `cannot forward ${input} to itself or one of its aliases (${t})`,
        );
      }
    }
    await roles.directory.setTargets(record.id, 'forward', list);
    await roles.directory.updateAddress(record.id, { forwardKeepCopy: keepCopy });
  });
}

export const PLAN_NAMES = Object.keys(PLANS) as PlanName[];
