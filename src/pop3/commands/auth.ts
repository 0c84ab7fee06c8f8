// AUTH mechanism [initial-response] (RFC 5034 §4) with PLAIN (RFC 4616), over TLS only. Without an
// initial response the server sends "+ " and reads one base64 line; "*" cancels the exchange.
import { decodePlain } from '../proto/sasl-plain.js';
import { continuationLine, errLine, multiLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';
import { NEED_TLS, login, loginFailed } from './login.js';

export const SASL_MECHANISMS = ['PLAIN'] as const;

export const handleAuth: Pop3Handler = async (session, args) => {
  const st = session.state;
  if (st.kind !== 'authorization') return { out: errLine('Already logged in') };
  if (!session.conn.secure) return { out: errLine(NEED_TLS, 'AUTH') };
  st.user = undefined;
  // Bare AUTH lists the mechanisms (RFC 1734's form, still sent by some clients such as fetchmail).
  if (args.length === 0) return { out: multiLine('Mechanisms follow', SASL_MECHANISMS) };
  if (args.length > 2) return { out: errLine('Usage: AUTH mechanism [initial-response]') };
  if (args[0]!.toUpperCase() !== 'PLAIN') return { out: errLine('Unsupported authentication mechanism') };
  let response = args[1];
  if (response === undefined) {
    await session.write(continuationLine());
    const r = await session.readLine(session.opts.maxSaslLineLength);
    if (!r) return { out: '', after: 'close' };
    if (r.kind === 'tooLong') return { out: errLine('SASL response too long') };
    if (r.kind !== 'line') return { out: errLine('SASL response expected') };
    response = r.line;
  }
  if (response === '*') return { out: errLine('Authentication cancelled') };
  // "=" is the empty initial response (RFC 5034 §4), never valid for PLAIN.
  const creds = response === '=' ? undefined : decodePlain(response);
  if (!creds) return loginFailed(session, 'malformed');
  // We act for nobody else: the authorization identity is empty or the login itself (RFC 4616 §2).
  if (creds.authzid && creds.authzid.toLowerCase() !== creds.authcid.toLowerCase())
    return loginFailed(session, 'invalid');
  return login(session, creds.authcid, creds.password);
};
