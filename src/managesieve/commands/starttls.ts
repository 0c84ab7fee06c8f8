// STARTTLS (RFC 5804 §2.2): OK, the handshake, then the capabilities again (now with SASL PLAIN)
// followed by OK. Whatever the client sent before the handshake is dropped (injection defence).
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleStartTls(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  new ArgReader(ctx.args).end();
  if (s.conn.secure || !s.conn.canStartTls)
    return { status: 'NO', text: 'TLS is already active or not offered here' };
  return {
    status: 'OK',
    text: 'Begin TLS negotiation now',
    after: async () => {
      try {
        await s.upgradeTls();
      } catch {
        s.close();
        return;
      }
      s.sendCapabilities();
      s.send('OK "TLS negotiation successful"');
      await s.flushOutput();
    },
  };
}
