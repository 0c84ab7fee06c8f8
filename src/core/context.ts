// What every domain function receives: the store, a logger, the server's own name and a clock.
// Built once by the composition root (src/cli) and shared by every protocol.
import type { Logger } from 'pino';
import type { Store } from '../store/ports.js';
import type { SessionLimiter } from './security/session-limits.js';
import type { VerifiedLogins } from './security/verified-logins.js';

export interface Core {
  readonly store: Store;
  readonly log: Logger;
  /** Our host name: HELO/EHLO, Received headers, Authentication-Results authserv-id. */
  readonly hostname: string;
  /** Injectable clock (tests move time). */
  now(): number;
  /** Publishes a change notice to in-process listeners (IMAP IDLE); cross-process goes through the store's feed. */
  readonly events: CoreEvents;
  /** Simultaneous sessions per user, when the server enforces a limit (absent in one-shot tools). */
  readonly sessions?: SessionLimiter;
  /** Passwords verified a short while ago (absent: every login runs scrypt). */
  readonly verifiedLogins?: VerifiedLogins;
}

export interface CoreEvents {
  /** Something changed in the mail of `addressId`: wake its IDLE sessions. */
  mailChanged(addressId: number): void;
  onMailChanged(fn: (addressId: number) => void): () => void;
}

export function createCoreEvents(): CoreEvents {
  const fns = new Set<(addressId: number) => void>();
  return {
    mailChanged(addressId) {
      for (const fn of fns) fn(addressId);
    },
    onMailChanged(fn) {
      fns.add(fn);
      return () => fns.delete(fn);
    },
  };
}
