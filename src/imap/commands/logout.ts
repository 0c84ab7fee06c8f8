// LOGOUT (RFC 9051 §6.1.3).
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleLogout(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.args.length > 0) return { status: 'BAD', text: 'LOGOUT takes no arguments' };
  const s = ctx.session;
  s.send('* BYE Logging out');
  return {
    status: 'OK',
    text: 'Logout completed',
    after: async () => {
      s.close();
    },
  };
}
