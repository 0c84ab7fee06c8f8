// STARTTLS (RFC 9051 §6.2.1): the handshake starts after the tagged OK; buffered plain text is dropped.
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleStartTls(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (ctx.args.length > 0) return { status: 'BAD', text: 'STARTTLS takes no arguments' };
  if (!s.conn.canStartTls) return { status: 'BAD', text: 'TLS is already active or not offered here' };
  return {
    status: 'OK',
    text: 'Begin TLS negotiation now',
    after: async () => {
      try {
        await s.upgradeTls();
      } catch {
        s.close();
      }
    },
  };
}
