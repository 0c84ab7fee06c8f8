// SEARCH arguments (RFC 9051 §6.4.4, RFC 3501 §6.4.4): the search-key AST, the RETURN options of
// ESEARCH (RFC 4731) and SEARCHRES (RFC 5182), CONDSTORE's MODSEQ key (RFC 7162 §3.1.5) and WITHIN's
// OLDER/YOUNGER (RFC 5032).
import { ArgError, ArgReader, canonicalFlag } from './args.js';
import type { SequenceSet } from './sequence.js';
import type { Token } from './tokens.js';

export type SearchKey =
  | { kind: 'all' }
  | { kind: 'and'; keys: SearchKey[] }
  | { kind: 'or'; a: SearchKey; b: SearchKey }
  | { kind: 'not'; key: SearchKey }
  | { kind: 'seq'; set: SequenceSet }
  | { kind: 'uid'; set: SequenceSet }
  /** A flag or keyword that must be set (`set: true`) or absent. */
  | { kind: 'flag'; flag: string; set: boolean }
  | { kind: 'new' }
  | { kind: 'old' }
  | { kind: 'recent' }
  | { kind: 'date'; field: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; date: number }
  | { kind: 'size'; op: 'larger' | 'smaller'; size: number }
  /** Header substring match; an empty value matches any message having the field. */
  | { kind: 'header'; field: string; value: string }
  | { kind: 'body'; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'modseq'; modseq: number }
  | { kind: 'age'; op: 'older' | 'younger'; seconds: number };

export type SearchReturn = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE' | 'PARTIAL' | 'UPDATE' | 'CONTEXT';

export interface SearchArgs {
  /** null: a plain SEARCH (untagged SEARCH response); otherwise ESEARCH with these options. */
  returns: SearchReturn[] | null;
  /** PARTIAL's range of result positions, low first (RFC 5267 §4.4). */
  partial: [number, number] | null;
  charset: string | null;
  key: SearchKey;
}

const RETURN_OPTIONS = ['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE', 'PARTIAL', 'UPDATE', 'CONTEXT'];

/** RETURN (...) of ESEARCH (RFC 4731), SEARCHRES (RFC 5182) and CONTEXT=SEARCH/SORT (RFC 5267). */
export function parseReturnOptions(list: readonly Token[]): {
  returns: SearchReturn[];
  partial: [number, number] | null;
} {
  const returns: SearchReturn[] = [];
  let partial: [number, number] | null = null;
  for (let i = 0; i < list.length; i++) {
    const t = list[i]!;
    if (t.kind !== 'atom') throw new ArgError('Invalid RETURN option');
    const o = t.value.toUpperCase();
    if (!RETURN_OPTIONS.includes(o)) throw new ArgError(`Unknown RETURN option ${o.slice(0, 40)}`);
    if (o === 'PARTIAL') {
      const r = list[++i];
      const m = r && r.kind === 'atom' ? /^([1-9]\d{0,9}):([1-9]\d{0,9})$/.exec(r.value) : null;
      if (!m) throw new ArgError('PARTIAL needs a range n:m');
      const a = Number(m[1]);
      const b = Number(m[2]);
      if (a > 0xffffffff || b > 0xffffffff) throw new ArgError('PARTIAL range too large');
      partial = a <= b ? [a, b] : [b, a];
    }
    if (!returns.includes(o as SearchReturn)) returns.push(o as SearchReturn);
  }
  // RETURN () means RETURN (ALL) (RFC 4731 §3.1).
  return { returns: returns.length === 0 ? ['ALL'] : returns, partial };
}

const HEADER_KEYS: Record<string, string> = {
  BCC: 'bcc',
  CC: 'cc',
  FROM: 'from',
  SUBJECT: 'subject',
  TO: 'to',
};
const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};
const DATE_KEYS: Record<string, ['internal' | 'sent', 'before' | 'on' | 'since']> = {
  BEFORE: ['internal', 'before'],
  ON: ['internal', 'on'],
  SINCE: ['internal', 'since'],
  SENTBEFORE: ['sent', 'before'],
  SENTON: ['sent', 'on'],
  SENTSINCE: ['sent', 'since'],
};

/** Charsets we decode search strings from; others get NO [BADCHARSET] (RFC 9051 §6.4.4). */
export const SEARCH_CHARSETS = ['UTF-8', 'US-ASCII'];

const MAX_KEYS = 1000;

export function parseSearch(tokens: readonly Token[], utf8: boolean, esearch: boolean): SearchArgs {
  const r = new ArgReader(tokens, utf8);
  let returns: SearchReturn[] | null = null;
  let partial: [number, number] | null = null;
  if (r.optionalWord('RETURN')) {
    if (!esearch) throw new ArgError('RETURN is not supported');
    ({ returns, partial } = parseReturnOptions(r.list()));
  }
  let charset: string | null = null;
  if (r.optionalWord('CHARSET')) {
    charset = r.astring().toUpperCase();
    if (!SEARCH_CHARSETS.includes(charset)) throw new ArgError('Unsupported charset', 'BADCHARSET');
  }
  const ctx = { count: 0 };
  const keys: SearchKey[] = [];
  while (!r.done) keys.push(readKey(r, ctx, 0));
  if (keys.length === 0) throw new ArgError('Missing search key');
  return { returns, partial, charset, key: keys.length === 1 ? keys[0]! : { kind: 'and', keys } };
}

/** Search keys alone (SORT and THREAD give the charset without the CHARSET word). */
export function parseSearchKeys(tokens: readonly Token[], utf8: boolean): SearchKey {
  const r = new ArgReader(tokens, utf8);
  const ctx = { count: 0 };
  const keys: SearchKey[] = [];
  while (!r.done) keys.push(readKey(r, ctx, 0));
  if (keys.length === 0) throw new ArgError('Missing search key');
  return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
}

function readKey(r: ArgReader, ctx: { count: number }, depth: number): SearchKey {
  if (++ctx.count > MAX_KEYS || depth > 50) throw new ArgError('Search too complex');
  const t = r.take();
  if (t.kind === 'list') {
    const sub = new ArgReader(t.items, r.utf8);
    const keys: SearchKey[] = [];
    while (!sub.done) keys.push(readKey(sub, ctx, depth + 1));
    if (keys.length === 0) throw new ArgError('Empty search list');
    return keys.length === 1 ? keys[0]! : { kind: 'and', keys };
  }
  if (t.kind !== 'atom') throw new ArgError('Expected a search key');
  const word = t.value.toUpperCase();
  const flag = FLAG_KEYS[word];
  if (flag) return { kind: 'flag', flag: flag[0], set: flag[1] };
  const hdr = HEADER_KEYS[word];
  if (hdr) return { kind: 'header', field: hdr, value: r.astring() };
  const date = DATE_KEYS[word];
  if (date) return { kind: 'date', field: date[0], op: date[1], date: r.date() };
  switch (word) {
    case 'ALL':
      return { kind: 'all' };
    case 'NEW':
      return { kind: 'new' };
    case 'OLD':
      return { kind: 'old' };
    case 'RECENT':
      return { kind: 'recent' };
    case 'UNRECENT':
      return { kind: 'not', key: { kind: 'recent' } };
    case 'KEYWORD':
    case 'UNKEYWORD':
      return { kind: 'flag', flag: canonicalFlag(r.atom()), set: word === 'KEYWORD' };
    case 'LARGER':
    case 'SMALLER':
      return { kind: 'size', op: word === 'LARGER' ? 'larger' : 'smaller', size: r.number() };
    case 'HEADER': {
      const field = r.astring();
      return { kind: 'header', field: field.toLowerCase(), value: r.astring() };
    }
    case 'BODY':
      return { kind: 'body', value: r.astring() };
    case 'TEXT':
      return { kind: 'text', value: r.astring() };
    case 'NOT':
      return { kind: 'not', key: readKey(r, ctx, depth + 1) };
    case 'OR': {
      const a = readKey(r, ctx, depth + 1);
      return { kind: 'or', a, b: readKey(r, ctx, depth + 1) };
    }
    case 'UID':
      return { kind: 'uid', set: r.sequenceSet() };
    case 'MODSEQ': {
      // Optional entry name and type (RFC 7162 §3.1.5): "/flags/\\Seen" all — we compare the message's modseq.
      const next = r.peek();
      if (next && next.kind === 'string') {
        r.take();
        const type = r.atom().toLowerCase();
        if (!['priv', 'shared', 'all'].includes(type)) throw new ArgError('Invalid MODSEQ entry type');
      }
      return { kind: 'modseq', modseq: r.number64() };
    }
    case 'OLDER':
    case 'YOUNGER':
      return { kind: 'age', op: word === 'OLDER' ? 'older' : 'younger', seconds: r.nzNumber() };
    default: {
      const r2 = new ArgReader([t]);
      try {
        return { kind: 'seq', set: r2.sequenceSet() };
      } catch {
        throw new ArgError(`Unknown search key ${word.slice(0, 40)}`);
      }
    }
  }
}

/** Whether the key refers to message sequence numbers (then no EXPUNGE may be sent during it). */
export function usesSequenceNumbers(key: SearchKey): boolean {
  switch (key.kind) {
    case 'seq':
      return true;
    case 'and':
      return key.keys.some(usesSequenceNumbers);
    case 'or':
      return usesSequenceNumbers(key.a) || usesSequenceNumbers(key.b);
    case 'not':
      return usesSequenceNumbers(key.key);
    default:
      return false;
  }
}
