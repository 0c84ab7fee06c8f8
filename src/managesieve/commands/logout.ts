// LOGOUT (RFC 5804 §2.3): OK, then the server closes the connection.
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleLogout(ctx: CommandContext): Promise<CommandResult> {
  new ArgReader(ctx.args).end();
  const s = ctx.session;
  s.state = { kind: 'logout' };
  return { status: 'OK', text: 'Logout completed', after: async () => s.close() };
}
