// AUTHENTICATE (RFC 9051 §6.2.2) with PLAIN (RFC 4616) and an initial response (SASL-IR, RFC 4959).
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { completeLogin } from './login-common.js';

export async function handleAuthenticate(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const r = new ArgReader(ctx.args);
  const mech = r.atom().toUpperCase();
  const initial = r.done ? null : r.atom();
  r.end();
  if (!s.conn.secure) return { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Use STARTTLS first' };
  if (mech !== 'PLAIN') return { status: 'NO', code: 'CANNOT', text: 'Unsupported mechanism' };
  let response = initial;
  if (response === null) {
    s.send('+ ');
    await s.flushOutput();
    response = await s.readLine();
    if (response === null) return { status: 'BAD', text: 'Connection closed' };
  }
  if (response === '*') return { status: 'BAD', text: 'Authentication cancelled' };
  // "=" is an empty initial response (RFC 4959 §3).
  const b64 = response === '=' ? '' : response.trim();
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return { status: 'BAD', text: 'Invalid base64' };
  const parts = Buffer.from(b64, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return { status: 'BAD', text: 'Invalid PLAIN response' };
  const [authz, authc, password] = parts as [string, string, string];
  if (authz && authz.toLowerCase() !== authc.toLowerCase()) {
    return { status: 'NO', code: 'AUTHORIZATIONFAILED', text: 'Logging in as another user is not allowed' };
  }
  return completeLogin(s, authc, password);
}
