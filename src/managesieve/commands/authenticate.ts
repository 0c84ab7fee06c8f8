// AUTHENTICATE (RFC 5804 §2.1) with SASL PLAIN (RFC 4616), with or without an initial response.
// Only over TLS; the one authentication function counts failures and applies bans.
import { claimSessionSlot } from '../../server/session-slots.js';
import { authenticate } from '../../core/security/auth.js';
import { ArgReader } from '../args.js';
import { decodeSaslPlain } from '../proto/sasl-plain.js';
import { decodeUtf8 } from '../proto/utf8.js';
import type { CommandContext, CommandResult, SessionApi } from '../session-api.js';

export async function handleAuthenticate(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const r = new ArgReader(ctx.args);
  const mech = r.string('the mechanism').toUpperCase();
  const initial = r.done ? null : r.string('the initial response');
  r.end();
  if (!s.conn.secure) return { status: 'NO', code: 'ENCRYPT-NEEDED', text: 'Use STARTTLS first' };
  if (mech !== 'PLAIN') return { status: 'NO', text: `Unsupported mechanism ${mech.slice(0, 20)}` };
  let response = initial;
  if (response === null) {
    // An empty challenge, then the client's response as a string on its own line.
    s.send('""');
    await s.flushOutput();
    const line = await s.readContinuation();
    if (line === null) return { status: 'BYE', text: 'Connection closed' };
    const first = line[0];
    if (line.length !== 1 || first?.kind !== 'string') return { status: 'NO', text: 'Expected one string' };
    response = decodeUtf8(first.value);
    if (response === null) return { status: 'NO', text: 'Invalid response' };
  }
  // RFC 5804 §2.1: the client cancels with "*".
  if (response === '*') return { status: 'NO', text: 'Authentication cancelled' };
  const creds = decodeSaslPlain(response);
  if (!creds) return fail(s, { status: 'NO', text: 'Invalid PLAIN response' });
  if (creds.authzid && creds.authzid.toLowerCase() !== creds.username.toLowerCase())
    return fail(s, { status: 'NO', text: 'Logging in as another user is not allowed' });
  const result = await authenticate(s.core, {
    username: creds.username,
    password: creds.password,
    protocol: 'managesieve',
    remoteIp: s.conn.remoteAddress,
    secure: s.conn.secure,
  });
  if (result.ok) {
    if (!claimSessionSlot(s.core, s.conn, result.account.addressId)) {
      return { status: 'NO', code: 'TRYLATER', text: 'Too many sessions open for this user' };
    }
    s.state = { kind: 'authenticated', account: result.account };
    s.core.log.info({ address: result.account.address, ip: s.conn.remoteAddress }, 'managesieve: login');
    return { status: 'OK', text: 'Authenticated' };
  }
  if (result.reason === 'banned')
    return fail(
      s,
      { status: 'NO', code: 'TRYLATER', text: 'Too many failed logins from your address; try later' },
      true,
    );
  if (result.reason === 'disabled') return fail(s, { status: 'NO', text: 'This account is suspended' });
  return fail(s, { status: 'NO', text: 'Authentication failed' });
}

/** Counts the failure in the session; after too many, or when banned, the session ends with BYE. */
function fail(s: SessionApi, r: CommandResult, hangUp = false): CommandResult {
  if (s.state.kind === 'nonAuthenticated') s.state.authFailures++;
  const failures = s.state.kind === 'nonAuthenticated' ? s.state.authFailures : 0;
  if (hangUp || failures >= s.opts.maxAuthFailures) {
    r.after = async () => {
      s.send('BYE "Too many failed logins"');
      await s.flushOutput();
      s.close();
    };
  }
  return r;
}
