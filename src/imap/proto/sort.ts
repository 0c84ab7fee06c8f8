// SORT (RFC 5256 §3, with ESORT/CONTEXT=SORT's RETURN, RFC 5267, and SORT=DISPLAY's keys, RFC 5957)
// and THREAD (RFC 5256 §4) arguments.
import { ArgError, ArgReader } from './args.js';
import {
  parseReturnOptions,
  parseSearchKeys,
  SEARCH_CHARSETS,
  type SearchKey,
  type SearchReturn,
} from './search.js';
import type { Token } from './tokens.js';

// The wire's own names; they are the domain's sort keys and threading algorithms word for word.
export type SortKey =
  'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';
export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}
export type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES';

const KEYS: readonly SortKey[] = [
  'ARRIVAL',
  'CC',
  'DATE',
  'FROM',
  'SIZE',
  'SUBJECT',
  'TO',
  'DISPLAYFROM',
  'DISPLAYTO',
];

export interface SortArgs {
  returns: SearchReturn[] | null;
  partial: [number, number] | null;
  criteria: SortCriterion[];
  key: SearchKey;
}

function charset(r: ArgReader): void {
  const cs = r.astring().toUpperCase();
  if (!SEARCH_CHARSETS.includes(cs)) throw new ArgError('Unsupported charset', 'BADCHARSET');
}

export function parseSort(tokens: readonly Token[], utf8: boolean): SortArgs {
  const r = new ArgReader(tokens, utf8);
  let returns: SearchReturn[] | null = null;
  let partial: [number, number] | null = null;
  if (r.optionalWord('RETURN')) ({ returns, partial } = parseReturnOptions(r.list()));
  const list = r.list();
  const criteria: SortCriterion[] = [];
  let reverse = false;
  for (const t of list) {
    if (t.kind !== 'atom') throw new ArgError('Invalid sort criterion');
    const w = t.value.toUpperCase();
    if (w === 'REVERSE') {
      if (reverse) throw new ArgError('REVERSE REVERSE');
      reverse = true;
      continue;
    }
    if (!(KEYS as readonly string[]).includes(w))
      throw new ArgError(`Unknown sort criterion ${w.slice(0, 40)}`);
    criteria.push({ key: w as SortKey, reverse });
    reverse = false;
  }
  if (reverse || criteria.length === 0) throw new ArgError('Incomplete sort criteria');
  charset(r);
  const rest: Token[] = [];
  while (!r.done) rest.push(r.take());
  return { returns, partial, criteria, key: parseSearchKeys(rest, utf8) };
}

export interface ThreadArgs {
  algorithm: ThreadAlgorithm;
  key: SearchKey;
}

export function parseThread(tokens: readonly Token[], utf8: boolean): ThreadArgs {
  const r = new ArgReader(tokens, utf8);
  const alg = r.atom().toUpperCase();
  if (alg !== 'ORDEREDSUBJECT' && alg !== 'REFERENCES') throw new ArgError('Unknown threading algorithm');
  charset(r);
  const rest: Token[] = [];
  while (!r.done) rest.push(r.take());
  return { algorithm: alg, key: parseSearchKeys(rest, utf8) };
}
