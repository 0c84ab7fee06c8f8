// The session states of RFC 1939 §3: AUTHORIZATION until a login succeeds, then TRANSACTION;
// QUIT in TRANSACTION passes through UPDATE (commands/quit.ts) and the connection ends.
import type { Account } from '../core/directory/accounts.js';
import type { Maildrop } from './maildrop.js';

export type Pop3State =
  | {
      kind: 'authorization';
      /** The name given with USER, waiting for PASS. */
      user: string | undefined;
      failures: number;
    }
  | { kind: 'transaction'; account: Account; drop: Maildrop }
  | { kind: 'update' };

export type Pop3StateKind = Pop3State['kind'];
