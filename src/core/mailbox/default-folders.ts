// The folders every mailbox address gets at creation, with their SPECIAL-USE attributes (RFC 6154).
import type { StoreRoles, SpecialUse } from '../../store/ports.js';

export const DEFAULT_FOLDERS: ReadonlyArray<{ name: string; specialUse: SpecialUse | null }> = [
  { name: 'INBOX', specialUse: null },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Archive', specialUse: '\\Archive' },
];

/** Creates whichever default folders are missing; safe to call again (used at creation and repair). */
export async function ensureDefaultFolders(store: StoreRoles, addressId: number): Promise<void> {
  const existing = new Set((await store.mail.listMailboxes(addressId)).map((m) => m.name));
  for (const f of DEFAULT_FOLDERS) {
    if (!existing.has(f.name)) await store.mail.createMailbox(addressId, f.name, f.specialUse);
  }
}
