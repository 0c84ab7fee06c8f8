// Who a login or a local address is: the account view every protocol works with after AUTH.
import type { Core } from '../context.js';
import type { AddressRecord, DomainRecord, StoreRoles } from '../../store/ports.js';
import { parseAddress } from '../../wire/address.js';

/** A logged-in (or addressed) mailbox: its canonical name is local part @ the service's primary domain. */
export interface Account {
  addressId: number;
  serviceId: number;
  localPart: string;
  /** Primary domain of the service (ASCII). */
  domain: string;
  /** Canonical address: localPart@primary domain. */
  address: string;
  displayName: string;
  quotaBytes: number;
}

export async function primaryDomainOf(
  roles: StoreRoles,
  serviceId: number,
): Promise<DomainRecord | undefined> {
  const domains = await roles.directory.listDomains(serviceId);
  return domains.find((d) => d.isPrimary);
}

/** `roles` is the store or the current transaction (never query outside a running transaction). */
export async function accountOf(roles: StoreRoles, record: AddressRecord): Promise<Account> {
  const primary = await primaryDomainOf(roles, record.serviceId);
  const domain = primary?.name ?? '';
  return {
    addressId: record.id,
    serviceId: record.serviceId,
    localPart: record.localPart,
    domain,
    address: `${record.localPart}@${domain}`,
    displayName: record.displayName,
    quotaBytes: record.quotaBytes,
  };
}

/**
 * The mailbox a login name designates: the full address, case-insensitive, on the primary or any
 * linked domain of its service (so logins keep working after "set as primary"). Aliases and
 * redirect-only addresses cannot log in.
 */
export async function findLoginAddress(
  core: Core,
  username: string,
): Promise<{ record: AddressRecord; account: Account } | undefined> {
  const parsed = parseAddress(username);
  if (!parsed) return undefined;
  const domain = await core.store.directory.findDomain(parsed.domain);
  if (!domain) return undefined;
  const record = await core.store.directory.findAddress(domain.serviceId, parsed.local);
  if (!record || record.kind !== 'mailbox') return undefined;
  return { record, account: await accountOf(core.store, record) };
}
