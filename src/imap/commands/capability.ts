// CAPABILITY (RFC 9051 §6.1.1).
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleCapability(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.args.length > 0) return { status: 'BAD', text: 'CAPABILITY takes no arguments' };
  ctx.session.send(`* CAPABILITY ${ctx.session.capabilities().join(' ')}`);
  return { status: 'OK', text: 'Capability completed' };
}
