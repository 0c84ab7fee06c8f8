// What RFC 9051 took out of IMAP4rev1 (Appendix E), refused with BAD once a client has ENABLEd
// IMAP4rev2; an IMAP4rev1 session keeps all of it. Commands (CHECK, LSUB) are refused by the state
// gate (`rev1Only` in the command table); the arguments below by the commands that parse them.
import type { FetchItem } from './proto/fetch.js';
import type { SearchKey } from './proto/search.js';
import type { StatusItem } from './proto/status.js';
import type { CommandResult } from './session-api.js';

const bad = (text: string): CommandResult => ({
  status: 'BAD',
  text: `${text} (not in IMAP4rev2, RFC 9051)`,
});

/** The \Recent flag went, and with it the RECENT, NEW and OLD search keys. */
export function rev2SearchProblem(key: SearchKey): CommandResult | null {
  return usesRecent(key) ? bad('No RECENT, NEW or OLD search keys') : null;
}

function usesRecent(k: SearchKey): boolean {
  switch (k.kind) {
    case 'new':
    case 'old':
    case 'recent':
      return true;
    case 'and':
      return k.keys.some(usesRecent);
    case 'or':
      return usesRecent(k.a) || usesRecent(k.b);
    case 'not':
      return usesRecent(k.key);
    default:
      return false;
  }
}

/** RFC822, RFC822.HEADER and RFC822.TEXT went (RFC822.SIZE stays): BODY[], BODY[HEADER], BODY[TEXT]. */
export function rev2FetchProblem(items: readonly FetchItem[]): CommandResult | null {
  return items.some((i) => i.kind === 'rfc822' || i.kind === 'rfc822.header' || i.kind === 'rfc822.text')
    ? bad('No RFC822, RFC822.HEADER or RFC822.TEXT; use BODY[], BODY[HEADER] or BODY[TEXT]')
    : null;
}

/** STATUS RECENT went with \Recent. */
export function rev2StatusProblem(items: readonly StatusItem[] | null): CommandResult | null {
  return items?.includes('RECENT') ? bad('No RECENT status item') : null;
}
