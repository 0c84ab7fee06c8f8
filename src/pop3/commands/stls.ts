// STLS (RFC 2595 §4): only in AUTHORIZATION on the plain listener, once. The session throws away any
// input that followed the command, so nothing sent in the clear is obeyed after the handshake.
import { errLine, okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';

export const handleStls: Pop3Handler = async (session) => {
  if (session.conn.secure) return { out: errLine('TLS is already active') };
  if (!session.conn.canStartTls) return { out: errLine('STLS is not available here') };
  const st = session.state;
  if (st.kind === 'authorization') st.user = undefined;
  return { out: okLine('Begin TLS negotiation'), after: 'starttls' };
};
