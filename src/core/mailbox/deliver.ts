// Local delivery into a folder: what the SMTP pipeline (and Sieve fileinto) call once a message is
// accepted for one of our addresses.
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import { appendMessage } from './messages.js';
import { createFolder, getFolder } from './folders.js';
import { ensureDefaultFolders } from './default-folders.js';

export interface DeliverOptions {
  flags?: string[];
  internalDate?: number;
  /** Create the folder when it does not exist (Sieve `fileinto :create`, RFC 5490); else INBOX is used. */
  create?: boolean;
}

/**
 * Stores `raw` in the named folder of the address (INBOX when the folder is missing, unless asked to
 * create it). Throws MailError('OVER_QUOTA') when the address is full.
 */
export async function deliverToFolder(
  core: Core,
  addressId: number,
  folderName: string,
  raw: Buffer,
  opts: DeliverOptions = {},
): Promise<{ mailboxId: number; uid: number; folder: string }> {
  let box = await getFolder(core, addressId, folderName || 'INBOX');
  if (!box && opts.create && folderName) {
    try {
      box = await createFolder(core, addressId, folderName, { subscribe: true });
    } catch (e) {
      if (!(e instanceof MailError)) throw e;
      box = await getFolder(core, addressId, folderName);
    }
  }
  if (!box) box = await getFolder(core, addressId, 'INBOX');
  if (!box) {
    // An address created before its folders were (or repaired): give it its default folders.
    await ensureDefaultFolders(core.store, addressId);
    box = await getFolder(core, addressId, 'INBOX');
    if (!box) throw new MailError('MAILBOX_NOT_FOUND', 'INBOX missing', true, { addressId });
  }
  const opt: { flags?: string[]; internalDate?: number } = {};
  if (opts.flags) opt.flags = opts.flags;
  if (opts.internalDate !== undefined) opt.internalDate = opts.internalDate;
  const r = await appendMessage(core, box, raw, opt);
  // The folder's name as stored (INBOX when the asked one was missing): the caller logs it.
  return { mailboxId: r.mailboxId, uid: r.uid, folder: box.name };
}
