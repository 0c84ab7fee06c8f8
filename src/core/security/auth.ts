// The one authentication decision for IMAP, POP3, SMTP submission, ManageSieve and HTTP:
// full address (any domain of the service, any case) + password, only over TLS, bans applied.
import type { Core } from '../context.js';
import { findLoginAddress, type Account } from '../directory/accounts.js';
import { DUMMY_HASH, verifyPassword } from './password.js';
import { isBanned, recordAuthFailure, recordAuthSuccess } from './bans.js';

export type AuthProtocol = 'imap' | 'pop3' | 'smtp' | 'managesieve' | 'http';

export interface AuthRequest {
  username: string;
  password: string;
  protocol: AuthProtocol;
  remoteIp: string;
  /** The channel is encrypted; plain-text passwords are never taken otherwise. */
  secure: boolean;
}

export type AuthResult =
  | { ok: true; account: Account }
  | { ok: false; reason: 'invalid' | 'banned' | 'disabled' | 'insecure'; temporary: boolean };

export async function authenticate(core: Core, req: AuthRequest): Promise<AuthResult> {
  if (!req.secure) return { ok: false, reason: 'insecure', temporary: false };
  if (await isBanned(core, req.remoteIp)) return { ok: false, reason: 'banned', temporary: true };
  const found = await findLoginAddress(core, req.username);
  const hash = found?.record.passwordHash ?? DUMMY_HASH;
  const now = core.now();
  const cache = found?.record.passwordHash ? core.verifiedLogins : undefined;
  const cached = cache?.matches(found!.record.id, hash, req.password, now) === true;
  const good = cached || (await verifyPassword(req.password, hash));
  if (!found || !good || !found.record.passwordHash) {
    await recordAuthFailure(core, { ip: req.remoteIp, username: req.username, protocol: req.protocol });
    return { ok: false, reason: 'invalid', temporary: false };
  }
  if (found.record.state !== 'active') return { ok: false, reason: 'disabled', temporary: false };
  if (!cached) cache?.remember(found.record.id, hash, req.password, now);
  await recordAuthSuccess(core, req.remoteIp);
  return { ok: true, account: found.account };
}
