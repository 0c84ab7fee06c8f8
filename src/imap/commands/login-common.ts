// The end of LOGIN and AUTHENTICATE: the one authentication function (bans and failure counting live
// there), then the authenticated state with the capabilities sent along (RFC 9051 §6.2.2).
import { authenticate } from '../../core/security/auth.js';
import { claimSessionSlot } from '../../server/session-slots.js';
import type { CommandResult, SessionApi } from '../session-api.js';

export async function completeLogin(
  s: SessionApi,
  username: string,
  password: string,
): Promise<CommandResult> {
  if (!s.conn.secure) return { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Use STARTTLS first' };
  const r = await authenticate(s.core, {
    username,
    password,
    protocol: 'imap',
    remoteIp: s.conn.remoteAddress,
    secure: s.conn.secure,
  });
  if (r.ok) {
    if (!claimSessionSlot(s.core, s.conn, r.account.addressId)) {
      return { status: 'NO', code: 'LIMIT', text: 'Too many sessions open for this user' };
    }
    s.state = { kind: 'authenticated', account: r.account };
    s.core.log.info({ address: r.account.address, ip: s.conn.remoteAddress }, 'imap: login');
    return { status: 'OK', code: `CAPABILITY ${s.capabilities().join(' ')}`, text: 'Logged in' };
  }
  if (s.state.kind === 'notAuthenticated') s.state.authFailures++;
  const failures = s.state.kind === 'notAuthenticated' ? s.state.authFailures : 0;
  const result: CommandResult =
    r.reason === 'banned'
      ? { status: 'NO', code: 'UNAVAILABLE', text: 'Too many failed logins from your address; try later' }
      : r.reason === 'disabled'
        ? { status: 'NO', code: 'CONTACTADMIN', text: 'This account is suspended' }
        : { status: 'NO', code: 'AUTHENTICATIONFAILED', text: 'Invalid credentials' };
  if (failures >= s.opts.maxAuthFailures || r.reason === 'banned') {
    result.after = async () => {
      s.send('* BYE Too many failed logins');
      await s.flushOutput();
      s.close();
    };
  }
  return result;
}
