// Who a login or a local address is: the account view every protocol works with after AUTH.
import type { Core } from '../context.js';
import type { AddressRecord, DomainRecord, StoreRoles } from '../../store/ports.js';
import { parseAddress } from '../../wire/address.js';

/** A logged-in (or addressed) mailbox: its canonical name is local part @ the service's primary domain. */
export interface Account {
  readonly addressId: number;
  readonly serviceId: number;
  readonly localPart: string;
  /** Primary domain of the service (ASCII). */
  readonly domain: string;
  /** Canonical address: localPart@primary domain. */
  readonly address: string;
  readonly displayName: string;
  readonly quotaBytes: number;
}

/** Accounts handed out at login lately, by address id, most recent last (see shareAccount). */
const recentLogins = new Map<number, Account>();
const RECENT_LOGINS_MAX = 1024;

/**
 * The account object of an earlier login when nothing in it changed, else `account`. A mail client
 * opens several connections at once and each idle session keeps its account (the object and its
 * strings, ~190 bytes): a user's sessions share one instead. Accounts are never modified, so sharing
 * is invisible; a rename or a new quota makes a different object. Bounded: the least recently
 * handed out goes first.
 */
export function shareAccount(account: Account): Account {
  const prev = recentLogins.get(account.addressId);
  const shared = prev !== undefined && sameAccount(prev, account) ? prev : account;
  recentLogins.delete(account.addressId);
  recentLogins.set(account.addressId, shared);
  if (recentLogins.size > RECENT_LOGINS_MAX) {
    const oldest = recentLogins.keys().next();
    if (!oldest.done) recentLogins.delete(oldest.value);
  }
  return shared;
}

/** Field by field, whatever fields Account has (accountOf makes them all with the same keys). */
function sameAccount(a: Account, b: Account): boolean {
  const keys = Object.keys(a) as Array<keyof Account>;
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
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
  return { record, account: shareAccount(await accountOf(core.store, record)) };
}
