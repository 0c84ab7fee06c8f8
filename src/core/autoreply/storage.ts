// Where auto-replies live: the key-value role, no schema of their own (like the rule templates).
//
//   namespace "autoreply",           key = address id → { replies: AutoReply[], generation: number }
//   namespace "autoreply.templates", key = service id → { templates: AutoReplyTemplate[] }
//
// One JSON value per address keeps the saved replies ordered, makes "activate one, deactivate the
// others" a single write, and is read once per delivery. `generation` counts resets of the
// per-sender memory (see script.ts). Values have no expiry; changes go read-change-write inside one
// transaction. Address ids are never reused (AUTOINCREMENT / identity), so a removed address's
// leftover value cannot reach a new one.
import type { StoreRoles } from '../../store/ports.js';
import type { AutoReply } from './model.js';
import type { AutoReplyTemplate } from './templates.js';

export const AUTOREPLY_NS = 'autoreply';
export const AUTOREPLY_TEMPLATES_NS = 'autoreply.templates';

export interface AddressAutoReplies {
  replies: AutoReply[];
  generation: number;
}

export async function readAddress(roles: StoreRoles, addressId: number): Promise<AddressAutoReplies> {
  const v = await roles.kv.get(AUTOREPLY_NS, String(addressId));
  if (v === undefined) return { replies: [], generation: 0 };
  const parsed = JSON.parse(v) as Partial<AddressAutoReplies>;
  return { replies: parsed.replies ?? [], generation: parsed.generation ?? 0 };
}

export async function writeAddress(
  roles: StoreRoles,
  addressId: number,
  value: AddressAutoReplies,
): Promise<void> {
  // The invariant every writer relies on: at most one active, the last one marked active wins.
  let active = -1;
  value.replies.forEach((r, i) => {
    if (r.isActive) active = i;
  });
  const replies = value.replies.map((r, i) => (r.isActive && i !== active ? { ...r, isActive: false } : r));
  await roles.kv.set(AUTOREPLY_NS, String(addressId), JSON.stringify({ ...value, replies }));
}

export async function readTemplates(roles: StoreRoles, serviceId: number): Promise<AutoReplyTemplate[]> {
  const v = await roles.kv.get(AUTOREPLY_TEMPLATES_NS, String(serviceId));
  if (v === undefined) return [];
  return (JSON.parse(v) as { templates?: AutoReplyTemplate[] }).templates ?? [];
}

export async function writeTemplates(
  roles: StoreRoles,
  serviceId: number,
  templates: readonly AutoReplyTemplate[],
): Promise<void> {
  await roles.kv.set(AUTOREPLY_TEMPLATES_NS, String(serviceId), JSON.stringify({ templates }));
}
