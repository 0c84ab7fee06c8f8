// STATUS (RFC 9051 §6.3.11).
import { requireFolder } from '../../core/mailbox/folders.js';
import { parseStatus } from '../proto/status.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { statusLine } from './status-items.js';
import { rev2StatusProblem } from '../rev2.js';

export async function handleStatus(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const args = parseStatus(ctx.args, s.utf8);
  const gone = s.rev2 ? rev2StatusProblem(args.items) : null;
  if (gone) return gone;
  const box = await requireFolder(s.core, s.state.account.addressId, args.mailbox);
  s.send(await statusLine(s, box, args.items));
  return { status: 'OK', text: 'Status completed' };
}
