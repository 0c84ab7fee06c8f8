// Who may send as whom: the envelope sender and every From address must be the user's own address,
// one of its aliases, or the same on a linked domain (subaddresses included). Decided once, here,
// for SMTP submission and the webmail alike.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import { resolveRecipient, CATCHALL_LOCAL_PART } from '../directory/resolve.js';

export async function maySendAs(core: Core, account: Account, address: string): Promise<boolean> {
  if (account.localPart === CATCHALL_LOCAL_PART) return false; // the catch-all cannot send
  const r = await resolveRecipient(core, address);
  return r.kind === 'local' && r.addressId === account.addressId && !r.reasons.includes('catch-all');
}
