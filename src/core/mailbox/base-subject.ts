// The "base subject" of RFC 5256 §2.1, which SORT (SUBJECT) and THREAD group and order by: encoded words
// decoded, whitespace collapsed, and every "Re:", "Fwd:", "[blob]" leader and "(fwd)" trailer removed.
import { decodeEncodedWords } from '../../mime/index.js';

export interface BaseSubject {
  /** The base subject, upper-cased for i;ascii-casemap / i;unicode-casemap comparison. */
  key: string;
  /** A leader or trailer was removed: the message is a reply or forward (RFC 5256 §2.1 and §2.2 step 5). */
  isReplyOrForward: boolean;
}

const TRAILER = /(?:[ \t]+|\(fwd\))$/i;
// subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
const LEADER = /^(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:/i;
const BLOB = /^\[[^[\]]*\][ \t]*/;

export function baseSubject(raw: string | undefined): BaseSubject {
  // (1) Decode, turn folding and tabs into spaces, collapse runs of spaces.
  let s = decodeEncodedWords(raw ?? '')
    .replace(/[\t\r\n]/g, ' ')
    .replace(/ {2,}/g, ' ');
  let reply = false;
  for (;;) {
    // (2) Trailers: "(fwd)" and white space.
    for (let m = TRAILER.exec(s); m && s.length > 0; m = TRAILER.exec(s)) {
      if (m[0] !== ' ' && m[0].trim() !== '') reply = true;
      s = s.slice(0, s.length - m[0].length);
    }
    // (3)-(5) Leaders and blobs, as long as any is left (a blob only if something remains after it).
    for (let changed = true; changed;) {
      changed = false;
      const leader = LEADER.exec(s);
      if (leader) {
        s = s.slice(leader[0].length);
        reply = true;
        changed = true;
      } else if (/^[ \t]/.test(s)) {
        s = s.replace(/^[ \t]+/, '');
        changed = true;
      }
      const blob = BLOB.exec(s);
      if (blob && blob[0].length < s.length) {
        s = s.slice(blob[0].length);
        changed = true;
      }
    }
    // (6) "[fwd: ... ]" around the whole subject: unwrap and start again from (2).
    if (/^\[fwd:/i.test(s) && s.endsWith(']')) {
      s = s.slice(5, -1);
      reply = true;
      continue;
    }
    break;
  }
  return { key: s.toUpperCase(), isReplyOrForward: reply };
}
