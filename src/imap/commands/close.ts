// CLOSE (RFC 9051 §6.4.1: silent expunge unless read-only) and UNSELECT (RFC 3691).
import type { CommandContext, CommandResult } from '../session-api.js';
import { expungeDeleted } from './expunge.js';

export async function handleClose(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (ctx.args.length > 0) return { status: 'BAD', text: `${ctx.name} takes no arguments` };
  if (s.state.kind !== 'selected') return { status: 'BAD', text: 'No mailbox selected' };
  const { account, selected } = s.state;
  if (ctx.name === 'CLOSE' && !selected.readOnly) await expungeDeleted(s, null, true);
  s.state = { kind: 'authenticated', account };
  return { status: 'OK', text: `${ctx.name} completed` };
}
