// Subscriptions to names without a folder (RFC 9051 §6.3.7: a subscription is to a name, and survives
// the folder's deletion; LIST (SUBSCRIBED) shows such names as \NonExistent). Existing folders carry
// their subscription on their own row; the rest of the names live here, one small JSON list per address.
import type { Core } from '../context.js';

const NS = 'mailbox-subscriptions';

export async function orphanSubscriptions(core: Core, addressId: number): Promise<string[]> {
  const v = await core.store.kv.get(NS, String(addressId));
  if (!v) return [];
  try {
    const list: unknown = JSON.parse(v);
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

async function save(core: Core, addressId: number, names: string[]): Promise<void> {
  if (names.length === 0) await core.store.kv.delete(NS, String(addressId));
  else await core.store.kv.set(NS, String(addressId), JSON.stringify([...new Set(names)].sort()));
}

/** Adds or removes a name; returns whether it was in the list before. */
export async function setOrphanSubscription(
  core: Core,
  addressId: number,
  name: string,
  subscribed: boolean,
): Promise<boolean> {
  const list = await orphanSubscriptions(core, addressId);
  const had = list.includes(name);
  if (subscribed && !had) await save(core, addressId, [...list, name]);
  if (!subscribed && had)
    await save(
      core,
      addressId,
      list.filter((n) => n !== name),
    );
  return had;
}
