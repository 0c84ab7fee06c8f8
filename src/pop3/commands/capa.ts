// CAPA (RFC 2449 §5): what this session can do now. Login capabilities are offered only where they
// would be accepted: USER and SASL after TLS (RFC 2595 §4), STLS before it.
import { multiLine } from '../proto/response.js';
import type { Pop3Handler, Pop3SessionApi } from '../session-api.js';
import { SASL_MECHANISMS } from './auth.js';

export function capabilities(session: Pop3SessionApi): string[] {
  const caps = ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING'];
  if (session.state.kind === 'authorization') {
    if (session.conn.canStartTls && !session.conn.secure) caps.push('STLS');
    if (session.conn.secure) caps.push('USER', `SASL ${SASL_MECHANISMS.join(' ')}`);
  }
  caps.push('IMPLEMENTATION Mailstead');
  return caps;
}

export const handleCapa: Pop3Handler = async (session) => ({
  out: multiLine('Capability list follows', capabilities(session)),
});
