// Ties a per-user session slot (core/security/session-limits.ts) to a connection: taken at login,
// given back when the connection closes, whatever the protocol.
import type { Core } from '../core/context.js';
import type { Connection } from './listener.js';

/** False when the user already has the maximum number of sessions open. */
export function claimSessionSlot(core: Core, conn: Connection, addressId: number): boolean {
  if (!core.sessions) return true;
  if (!core.sessions.tryAcquire(addressId)) {
    core.log.warn({ addressId, ip: conn.remoteAddress }, 'too many sessions for this user');
    return false;
  }
  // Held by the connection itself: no close listener or closure per logged-in session.
  conn.releaseAtClose(core.sessions, addressId);
  return true;
}
