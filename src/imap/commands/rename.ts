// RENAME (RFC 9051 §6.3.6): children move along; renaming INBOX moves its messages.
import { renameFolder } from '../../core/mailbox/folders.js';
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleRename(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const r = new ArgReader(ctx.args, s.utf8);
  const from = r.mailbox();
  const to = r.mailbox();
  r.end();
  await renameFolder(s.core, s.state.account.addressId, from, to);
  if (s.state.kind === 'selected') {
    const fresh = await s.core.store.mail.getMailboxById(s.state.selected.box.id);
    if (fresh) s.state.selected.box = fresh;
  }
  return { status: 'OK', text: 'Rename completed' };
}
