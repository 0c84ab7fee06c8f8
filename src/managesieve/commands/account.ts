// The logged-in account of an authenticated command (the command table guarantees the state).
import type { Account } from '../../core/directory/accounts.js';
import type { SessionApi } from '../session-api.js';

export function accountOf(s: SessionApi): Account {
  if (s.state.kind !== 'authenticated') throw new Error('not authenticated');
  return s.state.account;
}

export function limitsOf(s: SessionApi): { limits: SessionApi['opts']['limits'] } {
  return { limits: s.opts.limits };
}
