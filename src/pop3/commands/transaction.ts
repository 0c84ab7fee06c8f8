// The maildrop every TRANSACTION command works on (the command table lets them run in that state only).
import type { Account } from '../../core/directory/accounts.js';
import type { Maildrop } from '../maildrop.js';
import type { Pop3SessionApi } from '../session-api.js';

export function maildropOf(session: Pop3SessionApi): { drop: Maildrop; account: Account } {
  const st = session.state;
  if (st.kind !== 'transaction') throw new Error('pop3: maildrop used outside TRANSACTION');
  return st;
}
