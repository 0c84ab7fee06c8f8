// UNAUTHENTICATE (RFC 5804 §2.14.1): back to the non-authenticated state on the same connection.
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleUnauthenticate(ctx: CommandContext): Promise<CommandResult> {
  new ArgReader(ctx.args).end();
  ctx.session.state = { kind: 'nonAuthenticated', authFailures: 0 };
  return { status: 'OK', text: 'Unauthenticated' };
}
