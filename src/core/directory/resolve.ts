// THE recipient-resolution function. SMTP RCPT, local delivery, Sieve redirects, forwarding and
// the webmail all ask here what an address means; nothing else decides it.
//
// Order (first match wins), within the service that owns the domain:
//   1. an address with that local part (mailbox or redirect-only)
//   2. an alias with that local part
//   3. the same two for the part before '+' (subaddress, RFC 5233), keeping the detail
//   4. the service's catch-all address (`catchall@`), when the plan allows it
import type { Core } from '../context.js';
import type { AddressRecord, StoreRoles } from '../../store/ports.js';
import { parseAddress, splitDetail } from '../../wire/address.js';
import { accountOf, type Account } from './accounts.js';
import { planLimits } from './plans.js';

export const CATCHALL_LOCAL_PART = 'catchall';

export type ResolutionReason =
  'address' | 'alias' | 'linked-domain' | 'subaddress' | 'redirection' | 'catch-all';

export type DeliveryTarget =
  /** Store into this account's mailbox. */
  | { kind: 'mailbox'; account: Account }
  /** Send on to another address (redirect-only address, or forwarding on a mailbox). */
  | { kind: 'forward'; to: string; from: Account | { address: string } };

export type Resolution =
  | {
      kind: 'local';
      /** The address as asked (trimmed). */
      input: string;
      /** The owning address's canonical form (local@primary). */
      canonical: string;
      serviceId: number;
      addressId: number;
      /** Why it matched, most specific last, e.g. ['linked-domain', 'subaddress', 'alias']. */
      reasons: ResolutionReason[];
      /** The "+detail" of a subaddress, if any. */
      detail: string | null;
      targets: DeliveryTarget[];
    }
  /** One of our domains, but nobody there: 550 5.1.1. */
  | { kind: 'unknown'; input: string; domain: string }
  /** The address exists but is suspended: 550 5.2.1. */
  | { kind: 'disabled'; input: string; canonical: string }
  /** Not one of our domains: relaying decisions belong to the caller. */
  | { kind: 'remote'; input: string; domain: string }
  /** Not a valid address at all. */
  | { kind: 'invalid'; input: string };

async function findLocal(
  roles: StoreRoles,
  serviceId: number,
  local: string,
): Promise<{ record: AddressRecord; viaAlias: boolean } | undefined> {
  const direct = await roles.directory.findAddress(serviceId, local);
  if (direct) return { record: direct, viaAlias: false };
  const alias = await roles.directory.findAlias(serviceId, local);
  if (!alias) return undefined;
  const record = await roles.directory.getAddress(alias.addressId);
  return record ? { record, viaAlias: true } : undefined;
}

export async function resolveRecipient(
  core: Core,
  input: string,
  roles: StoreRoles = core.store,
): Promise<Resolution> {
  const trimmed = input.trim();
  const parsed = parseAddress(trimmed);
  if (!parsed) return { kind: 'invalid', input: trimmed };
  const domain = await roles.directory.findDomain(parsed.domain);
  if (!domain) return { kind: 'remote', input: trimmed, domain: parsed.domain };

  const reasons: ResolutionReason[] = [];
  if (!domain.isPrimary) reasons.push('linked-domain');
  let detail: string | null = null;

  let found = await findLocal(roles, domain.serviceId, parsed.local);
  if (!found) {
    const split = splitDetail(parsed.local);
    if (split.detail !== null) {
      found = await findLocal(roles, domain.serviceId, split.user);
      if (found) {
        detail = split.detail;
        reasons.push('subaddress');
      }
    }
  }
  if (found?.viaAlias) reasons.push('alias');
  if (!found) {
    const service = await roles.directory.getService(domain.serviceId);
    const catchall =
      service && planLimits(service.plan).catchAll
        ? await roles.directory.findAddress(domain.serviceId, CATCHALL_LOCAL_PART)
        : undefined;
    if (!catchall) return { kind: 'unknown', input: trimmed, domain: parsed.domain };
    found = { record: catchall, viaAlias: false };
    reasons.push('catch-all');
  }

  const { record } = found;
  const account = await accountOf(roles, record);
  if (record.state !== 'active') return { kind: 'disabled', input: trimmed, canonical: account.address };
  if (!reasons.includes('alias') && !reasons.includes('catch-all')) reasons.push('address');

  const targets: DeliveryTarget[] = [];
  if (record.kind === 'redirect') {
    reasons.push('redirection');
    for (const to of await roles.directory.listTargets(record.id, 'redirect')) {
      targets.push({ kind: 'forward', to, from: { address: account.address } });
    }
  } else {
    const forwards = await roles.directory.listTargets(record.id, 'forward');
    if (forwards.length === 0 || record.forwardKeepCopy) targets.push({ kind: 'mailbox', account });
    for (const to of forwards) targets.push({ kind: 'forward', to, from: account });
  }
  return {
    kind: 'local',
    input: trimmed,
    canonical: account.address,
    serviceId: domain.serviceId,
    addressId: record.id,
    reasons,
    detail,
    targets,
  };
}
