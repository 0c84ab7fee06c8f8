// Outgoing messages per day, by plan (product spec §0): each recipient counts as one message.
// Counted per address and UTC day in the shared key-value store, so every process agrees.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import { planLimits } from '../directory/plans.js';

const NS = 'sent-per-day';
const DAY_MS = 24 * 3600 * 1000;

function key(core: Core, account: Account): string {
  return `${account.addressId}:${new Date(core.now()).toISOString().slice(0, 10)}`;
}

export interface SendingAllowance {
  allowed: boolean;
  used: number;
  limit: number;
}

export async function outgoingAllowance(
  core: Core,
  account: Account,
  more: number,
): Promise<SendingAllowance> {
  const service = await core.store.directory.getService(account.serviceId);
  const limit = service ? planLimits(service.plan).outgoingPerDay : 0;
  const used = Number((await core.store.kv.get(NS, key(core, account), core.now())) ?? 0);
  return { allowed: used + more <= limit, used, limit };
}

export async function recordOutgoing(core: Core, account: Account, count: number): Promise<number> {
  return core.store.kv.incr(NS, key(core, account), count, DAY_MS + 3600_000);
}
