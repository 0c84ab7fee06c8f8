// Every address that reaches an account: its local part and its aliases, on the primary and every
// linked domain of its service. Vacation uses it to tell "mail addressed to me" and to let the
// reply's From be any of them.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';

export async function userAddresses(core: Core, account: Account, envelopeTo: string): Promise<string[]> {
  const domains = await core.store.directory.listDomains(account.serviceId);
  const aliases = await core.store.directory.listAliases({ addressId: account.addressId });
  const locals = [account.localPart, ...aliases.map((a) => a.localPart)];
  const out = new Set<string>([account.address.toLowerCase()]);
  for (const d of domains) for (const l of locals) out.add(`${l}@${d.name}`.toLowerCase());
  if (envelopeTo) out.add(envelopeTo.toLowerCase());
  return [...out];
}
