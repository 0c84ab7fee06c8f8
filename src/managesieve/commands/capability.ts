// CAPABILITY (RFC 5804 §2.4): the listing, then OK.
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleCapability(ctx: CommandContext): Promise<CommandResult> {
  new ArgReader(ctx.args).end();
  ctx.session.sendCapabilities();
  return { status: 'OK', text: 'Capability completed' };
}
