// LIST / LSUB arguments with LIST-EXTENDED selection and return options (RFC 5258), SPECIAL-USE
// (RFC 6154) and LIST-STATUS (RFC 5819).
import { ArgError, ArgReader } from './args.js';
import type { Token } from './tokens.js';
import { parseStatusItems, type StatusItem } from './status.js';

export interface ListArgs {
  reference: string;
  patterns: string[];
  select: { subscribed: boolean; remote: boolean; recursiveMatch: boolean; specialUse: boolean };
  returns: { subscribed: boolean; children: boolean; specialUse: boolean; status: StatusItem[] | null };
  /** Whether any LIST-EXTENDED syntax was used (then CHILDREN info is only sent when asked for). */
  extended: boolean;
}

export function parseList(tokens: readonly Token[], utf8: boolean): ListArgs {
  const r = new ArgReader(tokens, utf8);
  const select = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  const returns = {
    subscribed: false,
    children: false,
    specialUse: false,
    status: null as StatusItem[] | null,
  };
  let extended = false;
  const sel = r.optionalList();
  if (sel) {
    extended = true;
    for (const t of sel) {
      if (t.kind !== 'atom') throw new ArgError('Invalid selection option');
      const o = t.value.toUpperCase();
      if (o === 'SUBSCRIBED') select.subscribed = true;
      else if (o === 'REMOTE') select.remote = true;
      else if (o === 'RECURSIVEMATCH') select.recursiveMatch = true;
      else if (o === 'SPECIAL-USE') select.specialUse = true;
      else throw new ArgError(`Unknown selection option ${o.slice(0, 40)}`);
    }
    // RECURSIVEMATCH alone is an error (RFC 5258 §3.1).
    if (select.recursiveMatch && !select.subscribed)
      throw new ArgError('RECURSIVEMATCH needs another selection option');
  }
  const reference = r.pattern();
  const patterns: string[] = [];
  const pl = r.optionalList();
  if (pl) {
    extended = true;
    const pr = new ArgReader(pl, utf8);
    while (!pr.done) patterns.push(pr.pattern());
    if (patterns.length === 0) throw new ArgError('Empty pattern list');
  } else patterns.push(r.pattern());
  if (r.optionalWord('RETURN')) {
    extended = true;
    const rr = new ArgReader(r.list(), utf8);
    while (!rr.done) {
      const o = rr.atom().toUpperCase();
      if (o === 'SUBSCRIBED') returns.subscribed = true;
      else if (o === 'CHILDREN') returns.children = true;
      else if (o === 'SPECIAL-USE') returns.specialUse = true;
      else if (o === 'STATUS') returns.status = parseStatusItems(rr.list());
      else throw new ArgError(`Unknown return option ${o.slice(0, 40)}`);
    }
  }
  r.end();
  if (select.subscribed) returns.subscribed = true;
  return { reference, patterns, select, returns, extended };
}

/**
 * Matches a mailbox name against a LIST pattern (RFC 9051 §6.3.9): "*" matches anything, "%" anything
 * but the hierarchy separator. INBOX matches case-insensitively.
 */
export function listMatcher(reference: string, pattern: string, sep = '/'): (name: string) => boolean {
  let full = pattern;
  if (reference && !pattern.startsWith(sep))
    full = reference.endsWith(sep) || !reference ? reference + pattern : `${reference}${pattern}`;
  let re = '';
  for (const ch of full) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += `[^${escapeRe(sep)}]*`;
    else re += escapeRe(ch);
  }
  const exact = new RegExp(`^${re}$`, 's');
  const inbox = new RegExp(`^${re}$`, 'is');
  return (name: string) => {
    if (name === 'INBOX' || name.startsWith('INBOX/')) {
      // "inbox" in any case names INBOX (RFC 9051 §5.1): match the INBOX part case-insensitively.
      return exact.test(name) || (inbox.test(name) && /^inbox/i.test(full));
    }
    return exact.test(name);
  };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
