// What we advertise (RFC 9051 §6.1.1), by state and channel. Only what is implemented completely:
// an extension missing here is one the server does not (yet) do in full.
import type { StateKind } from './state.js';

export interface CapabilityInput {
  state: StateKind;
  secure: boolean;
  canStartTls: boolean;
  maxMessageSize: number;
}

export const AUTHENTICATED_EXTENSIONS = [
  'LITERAL+',
  'ID',
  'ENABLE',
  'IDLE',
  'NOTIFY',
  'NAMESPACE',
  'UIDPLUS',
  'MOVE',
  'UNSELECT',
  'CHILDREN',
  'LIST-EXTENDED',
  'LIST-STATUS',
  'SPECIAL-USE',
  'CREATE-SPECIAL-USE',
  'ESEARCH',
  'SEARCHRES',
  'SORT',
  'SORT=DISPLAY',
  'ESORT',
  'CONTEXT=SEARCH',
  'CONTEXT=SORT',
  'THREAD=ORDEREDSUBJECT',
  'THREAD=REFERENCES',
  'CONDSTORE',
  'QRESYNC',
  'STATUS=SIZE',
  'MULTIAPPEND',
  'CATENATE',
  'BINARY',
  'WITHIN',
  'QUOTA',
  'QUOTA=RES-STORAGE',
  'UTF8=ACCEPT',
  'COMPRESS=DEFLATE',
];

export function capabilities(c: CapabilityInput): string[] {
  // Both revisions: a session is IMAP4rev1 until the client sends ENABLE IMAP4rev2 (RFC 9051 §6.3.1,
  // Appendix A).
  const base = ['IMAP4rev1', 'IMAP4rev2'];
  if (c.state === 'notAuthenticated') {
    if (!c.secure) {
      // Before TLS: no way to send a password (RFC 9051 §6.2.3, LOGINDISABLED; no AUTH= mechanisms).
      return [...base, 'STARTTLS', 'LOGINDISABLED', 'LITERAL+', 'ID', 'ENABLE'];
    }
    return [...base, 'AUTH=PLAIN', 'SASL-IR', 'LITERAL+', 'ID', 'ENABLE'];
  }
  return [...base, ...AUTHENTICATED_EXTENSIONS, `APPENDLIMIT=${c.maxMessageSize}`];
}
