// The one place that counts authentication failures and decides bans, for every protocol.
// Counters live in the store's key-value role so several processes (and restarts) agree.
import type { Core } from '../context.js';

/** Failures from one IP within the window after which it is refused for BAN_MS. */
export const MAX_FAILURES = 10;
const WINDOW_MS = 15 * 60 * 1000;
const BAN_MS = 60 * 60 * 1000;
const NS_FAIL = 'auth-fail';
const NS_BAN = 'ip-ban';

const LOOPBACK = /^(127\.|::1$)/;

export interface AuthFailure {
  ip: string;
  username: string;
  protocol: string;
}

export async function recordAuthFailure(core: Core, f: AuthFailure): Promise<void> {
  const n = await core.store.kv.incr(NS_FAIL, f.ip, 1, WINDOW_MS);
  core.log.warn({ ip: f.ip, user: f.username, protocol: f.protocol, failures: n }, 'authentication failed');
  if (n >= MAX_FAILURES && !LOOPBACK.test(f.ip)) {
    await core.store.kv.set(NS_BAN, f.ip, String(core.now()), BAN_MS);
    core.log.warn({ ip: f.ip }, 'address banned after repeated authentication failures');
  }
}

export async function recordAuthSuccess(core: Core, ip: string): Promise<void> {
  // Nearly every login finds no counter: a read (answered at once on SQLite) instead of a write that
  // waits its turn for the connection. A failure counted between the two is kept, as if it came later.
  if ((await core.store.kv.get(NS_FAIL, ip, core.now())) !== undefined)
    await core.store.kv.delete(NS_FAIL, ip);
}

export async function isBanned(core: Core, ip: string): Promise<boolean> {
  return (await core.store.kv.get(NS_BAN, ip, core.now())) !== undefined;
}

export async function unban(core: Core, ip: string): Promise<void> {
  await core.store.kv.delete(NS_BAN, ip);
  await core.store.kv.delete(NS_FAIL, ip);
}
