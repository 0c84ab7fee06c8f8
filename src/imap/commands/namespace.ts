// NAMESPACE (RFC 2342): one personal namespace, "/" separated; no shared or other users' folders.
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleNamespace(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.args.length > 0) return { status: 'BAD', text: 'NAMESPACE takes no arguments' };
  ctx.session.send('* NAMESPACE (("" "/")) NIL NIL');
  return { status: 'OK', text: 'Namespace completed' };
}
