// The end of every login (USER/PASS and AUTH PLAIN): the one authentication function (which counts
// failures towards IP bans), then the maildrop lock, then the snapshot that TRANSACTION works on.
import { authenticate, type AuthResult } from '../../core/security/auth.js';
import { claimSessionSlot } from '../../server/session-slots.js';
import { lockMaildrop, openMaildrop, unlockMaildrop } from '../../core/mailbox/pop3-view.js';
import { errLine, okLine } from '../proto/response.js';
import { Maildrop } from '../maildrop.js';
import type { CommandResult, Pop3SessionApi } from '../session-api.js';

export const NEED_TLS = 'Passwords are only taken over TLS: use STLS first';

export async function login(
  session: Pop3SessionApi,
  username: string,
  password: string,
): Promise<CommandResult> {
  const { core, conn } = session;
  const r = await authenticate(core, {
    username,
    password,
    protocol: 'pop3',
    remoteIp: conn.remoteAddress,
    secure: conn.secure,
  });
  if (!r.ok) return loginFailed(session, r.reason);
  const addressId = r.account.addressId;
  if (!claimSessionSlot(core, conn, addressId)) {
    return { out: errLine('Too many sessions open for this user', 'SYS/TEMP') };
  }
  // RFC 1939 §8 / RFC 2449 §8.1.1: one POP3 session per maildrop; the others get [IN-USE].
  if (!(await lockMaildrop(core, addressId, session.id))) {
    core.log.info({ user: r.account.address, ip: conn.remoteAddress }, 'pop3: maildrop in use');
    return { out: errLine('Mailbox is locked by another POP3 session', 'IN-USE') };
  }
  let drop: Maildrop;
  try {
    drop = new Maildrop(await openMaildrop(core, addressId));
  } catch (e) {
    await unlockMaildrop(core, addressId, session.id).catch(() => undefined);
    throw e;
  }
  session.holdLock(addressId);
  session.state = { kind: 'transaction', account: r.account, drop };
  const s = drop.stat();
  return { out: okLine(`Logged in; maildrop has ${s.count} messages (${s.size} octets)`) };
}

/** A refused login: [AUTH] for credentials (RFC 3206 §4), [SYS/TEMP] while the address is banned. */
export function loginFailed(
  session: Pop3SessionApi,
  reason: Extract<AuthResult, { ok: false }>['reason'] | 'malformed',
): CommandResult {
  const st = session.state;
  if (st.kind !== 'authorization') return { out: errLine('Already logged in') };
  st.user = undefined;
  if (reason === 'insecure') return { out: errLine(NEED_TLS, 'AUTH') };
  st.failures++;
  const closing = st.failures >= session.opts.maxAuthFailures;
  const suffix = closing ? '; closing the connection' : '';
  const line =
    reason === 'banned'
      ? errLine(`Too many failed logins from your address; try again later${suffix}`, 'SYS/TEMP')
      : errLine(`Authentication failed${suffix}`, 'AUTH');
  return closing ? { out: line, after: 'close' } : { out: line };
}
