// An address's auto-replies (product-spec §2): list, create, update, activate (which deactivates
// the others), turn off, remove, reset the per-sender count, and the delivery hook that turns the
// active one into a Sieve script. The administrator's paths (CLI) and later the user's (web) share
// these functions.
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import { accountOf, type Account } from '../directory/accounts.js';
import { MailError } from '../errors.js';
import type { NamedScript } from '../sieve/script-sources.js';
import { userAddresses } from '../sieve/user-addresses.js';
import type { StoreRoles } from '../../store/ports.js';
import {
  AUTOREPLY_LIMITS,
  DEFAULT_DAYS,
  DEFAULT_ZONE,
  buildAutoReply,
  type AutoReply,
  type AutoReplyInput,
} from './model.js';
import { generateAutoReplyScript } from './script.js';
import { readAddress, writeAddress } from './storage.js';

/** The mailbox behind an address id; auto-replies belong to mailboxes only. */
export async function mailboxAccount(roles: StoreRoles, addressId: number): Promise<Account> {
  const record = await roles.directory.getAddress(addressId);
  if (!record) throw new MailError('NOT_FOUND', `There is no address ${addressId}`);
  if (record.kind !== 'mailbox')
    throw new MailError('INVALID_ARGUMENT', 'A redirect-only address receives no mail to answer');
  return accountOf(roles, record);
}

/** The identities a reply may come from: the address and its aliases on every domain of its service. */
export async function ownAddresses(core: Core, account: Account): Promise<string[]> {
  return userAddresses(core, account, '');
}

function find(list: readonly AutoReply[], idOrName: string): number {
  const key = idOrName.toLowerCase();
  const i = list.findIndex((r) => r.id === idOrName || r.name.toLowerCase() === key);
  if (i < 0) throw new MailError('NOT_FOUND', `There is no auto-reply ${idOrName}`);
  return i;
}

function checkNameFree(list: readonly AutoReply[], r: AutoReply): void {
  if (list.some((x) => x.id !== r.id && x.name.toLowerCase() === r.name.toLowerCase()))
    throw new MailError('ALREADY_EXISTS', `There is already an auto-reply named "${r.name}"`);
}

/** Marks `id` active and every other one inactive (only one may be active, product-spec §2). */
function withOnlyActive(list: readonly AutoReply[], id: string | undefined, now: number): AutoReply[] {
  return list.map((r) => {
    const active = r.id === id;
    return r.isActive === active ? r : { ...r, isActive: active, updatedAt: now };
  });
}

export async function listAutoReplies(core: Core, addressId: number): Promise<AutoReply[]> {
  return (await readAddress(core.store, addressId)).replies;
}

export async function getActiveAutoReply(core: Core, addressId: number): Promise<AutoReply | undefined> {
  return (await readAddress(core.store, addressId)).replies.find((r) => r.isActive);
}

/** A new saved auto-reply; inactive unless `input.isActive`. */
export async function createAutoReply(
  core: Core,
  addressId: number,
  input: AutoReplyInput & { message: string },
  extra: { templateId?: string } = {},
): Promise<AutoReply> {
  const account = await mailboxAccount(core.store, addressId);
  const now = core.now();
  const base: AutoReply = {
    id: randomBytes(6).toString('hex'),
    name: 'Auto-reply',
    message: '',
    zone: DEFAULT_ZONE,
    dontReplyTo: [],
    days: DEFAULT_DAYS,
    isActive: false,
    ...(extra.templateId !== undefined ? { templateId: extra.templateId } : {}),
    createdAt: now,
    updatedAt: now,
  };
  const r = buildAutoReply(base, input, await ownAddresses(core, account), now);
  return core.store.transaction(async (tx) => {
    const cur = await readAddress(tx, addressId);
    if (cur.replies.length >= AUTOREPLY_LIMITS.maxPerAddress)
      throw new MailError('PLAN_LIMIT', `At most ${AUTOREPLY_LIMITS.maxPerAddress} saved auto-replies`);
    checkNameFree(cur.replies, r);
    const replies = [...cur.replies, r];
    await writeAddress(tx, addressId, {
      ...cur,
      replies: r.isActive ? withOnlyActive(replies, r.id, now) : replies,
    });
    return r;
  });
}

export async function updateAutoReply(
  core: Core,
  addressId: number,
  idOrName: string,
  patch: AutoReplyInput,
): Promise<AutoReply> {
  const account = await mailboxAccount(core.store, addressId);
  const own = await ownAddresses(core, account);
  const now = core.now();
  return core.store.transaction(async (tx) => {
    const cur = await readAddress(tx, addressId);
    const i = find(cur.replies, idOrName);
    const r = buildAutoReply(cur.replies[i]!, patch, own, now);
    checkNameFree(cur.replies, r);
    const replies = [...cur.replies];
    replies[i] = r;
    await writeAddress(tx, addressId, {
      ...cur,
      replies: r.isActive ? withOnlyActive(replies, r.id, now) : replies,
    });
    return r;
  });
}

/**
 * The CLI's and a simple form's "set": defines the auto-reply named `input.name` (default
 * "Auto-reply") from scratch — a field left out is cleared, not kept from an earlier set — creating
 * it or replacing the one of that name, and activates it. Its per-sender memory is kept.
 */
export async function setAutoReply(
  core: Core,
  addressId: number,
  input: AutoReplyInput & { message: string },
): Promise<AutoReply> {
  const name = input.name ?? 'Auto-reply';
  const full: AutoReplyInput & { message: string } = {
    subject: null,
    startsAt: null,
    endsAt: null,
    recurrentDays: null,
    replyFrom: null,
    zone: DEFAULT_ZONE,
    dontReplyTo: [],
    days: DEFAULT_DAYS,
    ...(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as typeof input),
    name,
    isActive: true,
  };
  const existing = (await listAutoReplies(core, addressId)).find(
    (r) => r.name.toLowerCase() === name.trim().toLowerCase(),
  );
  if (existing) return updateAutoReply(core, addressId, existing.id, full);
  return createAutoReply(core, addressId, full);
}

export async function activateAutoReply(core: Core, addressId: number, idOrName: string): Promise<AutoReply> {
  return core.store.transaction(async (tx) => {
    const cur = await readAddress(tx, addressId);
    const i = find(cur.replies, idOrName);
    const replies = withOnlyActive(cur.replies, cur.replies[i]!.id, core.now());
    await writeAddress(tx, addressId, { ...cur, replies });
    return replies[i]!;
  });
}

/** Turns the auto-reply off (keeps the saved ones); returns whether one was active. */
export async function deactivateAutoReply(core: Core, addressId: number): Promise<boolean> {
  return core.store.transaction(async (tx) => {
    const cur = await readAddress(tx, addressId);
    if (!cur.replies.some((r) => r.isActive)) return false;
    await writeAddress(tx, addressId, {
      ...cur,
      replies: withOnlyActive(cur.replies, undefined, core.now()),
    });
    return true;
  });
}

export async function removeAutoReply(core: Core, addressId: number, idOrName: string): Promise<void> {
  await core.store.transaction(async (tx) => {
    const cur = await readAddress(tx, addressId);
    const i = find(cur.replies, idOrName);
    await writeAddress(tx, addressId, { ...cur, replies: cur.replies.filter((_, j) => j !== i) });
  });
}

/**
 * "Reset the count of automatic replies sent per sender" (the product's `auto_reply/reset`): every
 * sender gets the next reply again. The vacation memory is keyed on the script's `:handle`, which
 * carries this generation, so a new generation is a fresh memory; the old entries expire on their own.
 * A user's own Sieve vacation (advanced mode) keeps its memory: it is theirs to change.
 */
export async function resetAutoReplyCounts(core: Core, addressId: number): Promise<void> {
  await core.store.transaction(async (tx) => {
    const cur = await readAddress(tx, addressId);
    await writeAddress(tx, addressId, { ...cur, generation: cur.generation + 1 });
  });
}

/**
 * The delivery hook (src/core/sieve `TemplateSource`): the active auto-reply as one script, run
 * before the address's own. The script itself checks the dates and weekdays, so what runs is
 * what `explain` shows; an address without an active auto-reply costs one key-value read.
 */
export async function autoReplyScripts(core: Core, account: { addressId: number }): Promise<NamedScript[]> {
  const cur = await readAddress(core.store, account.addressId);
  const active = cur.replies.find((r) => r.isActive);
  if (!active) return [];
  return [{ name: 'autoreply', source: generateAutoReplyScript(active, cur.generation) }];
}
