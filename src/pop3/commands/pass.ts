// PASS string (RFC 1939 §7): right after USER; a failure sends the client back to USER.
import { errLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';
import { NEED_TLS, login } from './login.js';

export const handlePass: Pop3Handler = async (session, args) => {
  const st = session.state;
  if (st.kind !== 'authorization') return { out: errLine('Already logged in') };
  if (!session.conn.secure) return { out: errLine(NEED_TLS, 'AUTH') };
  if (st.user === undefined) return { out: errLine('Send USER first') };
  const password = args[0];
  if (password === undefined) return { out: errLine('Usage: PASS password') };
  const user = st.user;
  st.user = undefined;
  return login(session, user, password);
};
