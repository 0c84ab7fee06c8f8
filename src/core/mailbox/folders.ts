// Folders of one address: the one place that creates, renames, deletes and lists them, for IMAP, POP3,
// delivery and the webmail. Every change ends with core.events.mailChanged so IDLE sessions wake.
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import type { MailboxRecord, SpecialUse } from '../../store/ports.js';
import { StoreConflictError } from '../../store/ports.js';
import { orphanSubscriptions, setOrphanSubscription } from './subscriptions.js';
import { isSameOrChild, parentsOf, validateFolderName, normaliseFolderName } from './names.js';

export { ensureDefaultFolders, DEFAULT_FOLDERS } from './default-folders.js';

export async function listFolders(core: Core, addressId: number): Promise<MailboxRecord[]> {
  const list = await core.store.mail.listMailboxes(addressId);
  return list.sort((a, b) =>
    a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}

export async function getFolder(
  core: Core,
  addressId: number,
  name: string,
): Promise<MailboxRecord | undefined> {
  return core.store.mail.getMailbox(addressId, normaliseFolderName(name));
}

export async function requireFolder(core: Core, addressId: number, name: string): Promise<MailboxRecord> {
  const f = await getFolder(core, addressId, name);
  if (!f) throw new MailError('MAILBOX_NOT_FOUND', 'No such folder', false, { name });
  return f;
}

export interface CreateFolderOptions {
  specialUse?: SpecialUse | null;
  subscribe?: boolean;
}

/** Creates a folder and any missing parents (RFC 9051 §6.3.4: superiors are created as needed). */
export async function createFolder(
  core: Core,
  addressId: number,
  rawName: string,
  opts: CreateFolderOptions = {},
): Promise<MailboxRecord> {
  const name = validateFolderName(rawName.endsWith('/') ? rawName.slice(0, -1) : rawName);
  const orphans = new Set(await orphanSubscriptions(core, addressId));
  const adopted: string[] = [];
  const created = await core.store.transaction(async (tx) => {
    if (await tx.mail.getMailbox(addressId, name))
      throw new MailError('MAILBOX_EXISTS', 'Folder already exists', false, { name });
    if (opts.specialUse) {
      const all = await tx.mail.listMailboxes(addressId);
      if (all.some((m) => m.specialUse === opts.specialUse)) {
        throw new MailError('ALREADY_EXISTS', `A folder with ${opts.specialUse} already exists`, false, {
          name,
        });
      }
    }
    // A new folder is subscribed only when asked, or when its name was subscribed already (by name).
    for (const parent of parentsOf(name)) {
      if (!(await tx.mail.getMailbox(addressId, parent))) {
        const p = await tx.mail.createMailbox(addressId, parent, null);
        if (orphans.has(parent)) adopted.push(parent);
        else await tx.mail.setSubscribed(p.id, false);
      }
    }
    try {
      const box = await tx.mail.createMailbox(addressId, name, opts.specialUse ?? null);
      const subscribed = opts.subscribe === true || orphans.has(name);
      if (orphans.has(name)) adopted.push(name);
      await tx.mail.setSubscribed(box.id, subscribed);
      return { ...box, subscribed };
    } catch (e) {
      if (e instanceof StoreConflictError)
        throw new MailError('MAILBOX_EXISTS', 'Folder already exists', false, { name });
      throw e;
    }
  });
  for (const n of adopted) await setOrphanSubscription(core, addressId, n, false);
  core.events.mailChanged(addressId);
  return created;
}

/**
 * Renames a folder and its children. Renaming INBOX moves its messages into a new folder and leaves
 * INBOX empty (RFC 9051 §6.3.6). A renamed folder keeps its UIDVALIDITY: its messages keep their UIDs.
 */
export async function renameFolder(
  core: Core,
  addressId: number,
  fromRaw: string,
  toRaw: string,
): Promise<void> {
  const from = normaliseFolderName(fromRaw);
  const to = validateFolderName(toRaw);
  if (to === 'INBOX' || (from !== 'INBOX' && isSameOrChild(to, from))) {
    throw new MailError('INVALID_ARGUMENT', 'Cannot rename a folder to itself or into itself');
  }
  await core.store.transaction(async (tx) => {
    const all = await tx.mail.listMailboxes(addressId);
    const source = all.find((m) => m.name === from);
    if (!source) throw new MailError('MAILBOX_NOT_FOUND', 'No such folder', false, { name: from });
    if (all.some((m) => m.name === to))
      throw new MailError('MAILBOX_EXISTS', 'Target folder already exists', false, { name: to });
    for (const parent of parentsOf(to)) {
      if (!all.some((m) => m.name === parent)) await tx.mail.createMailbox(addressId, parent, null);
    }
    if (from === 'INBOX') {
      const target = await tx.mail.createMailbox(addressId, to, null);
      const uids = await tx.mail.listUids(source.id);
      if (uids.length > 0) {
        await tx.mail.copyMessages(source.id, uids, target.id);
        await tx.mail.expunge(source.id, uids);
      }
      return;
    }
    const children = all.filter((m) => m.name.startsWith(from + '/'));
    for (const c of children) {
      const newName = to + c.name.slice(from.length);
      if (all.some((m) => m.name === newName))
        throw new MailError('MAILBOX_EXISTS', 'Target folder already exists', false, { name: newName });
    }
    await tx.mail.renameMailbox(source.id, to);
    for (const c of children) await tx.mail.renameMailbox(c.id, to + c.name.slice(from.length));
  });
  core.events.mailChanged(addressId);
}

/**
 * Deletes one folder and its messages; children stay (RFC 9051 §6.3.5 — their parent then shows as
 * \NonExistent / \Noselect in LIST). INBOX cannot be deleted.
 */
export async function deleteFolder(core: Core, addressId: number, rawName: string): Promise<void> {
  const name = normaliseFolderName(rawName);
  if (name === 'INBOX') throw new MailError('PERMISSION_DENIED', 'INBOX cannot be deleted');
  const wasSubscribed = await core.store.transaction(async (tx) => {
    const box = await tx.mail.getMailbox(addressId, name);
    if (!box) throw new MailError('MAILBOX_NOT_FOUND', 'No such folder', false, { name });
    const freed = await tx.mail.deleteMailbox(box.id);
    if (freed > 0) await tx.directory.addUsedBytes(addressId, -freed);
    return box.subscribed;
  });
  // The subscription outlives the folder (RFC 9051 §6.3.5).
  if (wasSubscribed) await setOrphanSubscription(core, addressId, name, true);
  core.events.mailChanged(addressId);
}

export async function setSubscribed(
  core: Core,
  addressId: number,
  rawName: string,
  subscribed: boolean,
): Promise<void> {
  const box = await getFolder(core, addressId, rawName);
  if (box) {
    await core.store.mail.setSubscribed(box.id, subscribed);
    return;
  }
  // A name without a folder: subscribing is allowed (RFC 9051 §6.3.7); unsubscribing needs a subscription.
  const had = await setOrphanSubscription(core, addressId, normaliseFolderName(rawName), subscribed);
  if (!subscribed && !had)
    throw new MailError('MAILBOX_NOT_FOUND', 'Not subscribed', false, { name: rawName });
}

export interface FolderStatus {
  messages: number;
  unseen: number;
  size: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
}

export async function folderStatus(core: Core, box: MailboxRecord): Promise<FolderStatus> {
  const fresh = (await core.store.mail.getMailboxById(box.id)) ?? box;
  const c = await core.store.mail.counts(box.id);
  return {
    messages: c.messages,
    unseen: c.unseen,
    size: c.size,
    uidNext: fresh.uidNext,
    uidValidity: fresh.uidValidity,
    highestModseq: fresh.highestModseq,
  };
}
