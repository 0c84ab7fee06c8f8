// LOGIN (RFC 9051 §6.2.3): refused before TLS (we advertise LOGINDISABLED there).
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { completeLogin } from './login-common.js';

export async function handleLogin(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const user = r.astring();
  const pass = r.astring();
  r.end();
  if (!ctx.session.conn.secure) return { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Use STARTTLS first' };
  return completeLogin(ctx.session, user, pass);
}
