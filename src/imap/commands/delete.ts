// DELETE (RFC 9051 §6.3.5). Deleting the selected folder leaves the selected state.
import { deleteFolder } from '../../core/mailbox/folders.js';
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleDelete(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const r = new ArgReader(ctx.args, s.utf8);
  const name = r.mailbox();
  r.end();
  const account = s.state.account;
  const wasSelected = s.state.kind === 'selected' && s.state.selected.box.name === name;
  await deleteFolder(s.core, account.addressId, name);
  if (wasSelected) s.state = { kind: 'authenticated', account };
  return { status: 'OK', text: 'Delete completed' };
}
