// The session's protocol state (RFC 9051 §3): one discriminated union, checked by one gate.
import type { Account } from '../core/directory/accounts.js';
import type { SelectedMailbox } from './selected.js';

export type SessionState =
  | { kind: 'notAuthenticated'; authFailures: number }
  | { kind: 'authenticated'; account: Account }
  | { kind: 'selected'; account: Account; selected: SelectedMailbox }
  | { kind: 'logout' };

export type StateKind = SessionState['kind'];
