// USER name (RFC 1939 §7): only over TLS (RFC 2595 §4 — never a password in the clear), then PASS.
import { errLine, okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';
import { NEED_TLS } from './login.js';

export const handleUser: Pop3Handler = async (session, args) => {
  const st = session.state;
  if (st.kind !== 'authorization') return { out: errLine('Already logged in') };
  if (!session.conn.secure) return { out: errLine(NEED_TLS, 'AUTH') };
  if (args.length !== 1) return { out: errLine('Usage: USER name') };
  st.user = args[0]!;
  return { out: okLine('Send PASS') };
};
