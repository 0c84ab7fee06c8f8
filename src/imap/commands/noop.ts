// NOOP and CHECK (RFC 9051 §6.1.2; CHECK is RFC 3501 §6.4.1): the session sends pending changes after any command.
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleNoop(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.args.length > 0) return { status: 'BAD', text: `${ctx.name} takes no arguments` };
  return { status: 'OK', text: `${ctx.name} completed` };
}
