/** Comparators (RFC 4790 as used by RFC 5228 §2.7.3) and relational operators (RFC 5231). */

export interface Comparator {
  readonly name: string;
  /** Canonical form for equality and wildcard matching. */
  fold(s: string): string;
  /** False when the comparator offers only equality/ordering (i;ascii-numeric). */
  readonly substring: boolean;
  compare(a: string, b: string): number;
  equals(a: string, b: string): boolean;
  /** True when `equals(a, b)` is `fold(a) === fold(b)` (lets :is fold each key once). */
  readonly equalsByFold: boolean;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * ASCII-only lower case. For an all-ASCII string that is what toLowerCase does (it only maps
 * A-Z there), and it allocates nothing when there is nothing to change; other strings keep
 * their non-ASCII letters as they are.
 */
function asciiLower(s: string): string {
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function cmp(a: string, b: string): number {
  // Compare by code point, i.e. UTF-8 byte order.
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

const octet: Comparator = {
  name: 'i;octet',
  fold: (s) => s,
  substring: true,
  compare: cmp,
  equals: (a, b) => a === b,
  equalsByFold: true,
};

const asciiCasemap: Comparator = {
  name: 'i;ascii-casemap',
  fold: asciiLower,
  substring: true,
  compare: (a, b) => cmp(asciiLower(a), asciiLower(b)),
  equals: (a, b) => asciiLower(a) === asciiLower(b),
  equalsByFold: true,
};

const unicodeFold = (s: string): string => s.normalize('NFKD').toUpperCase().toLowerCase().normalize('NFKC');

const unicodeCasemap: Comparator = {
  name: 'i;unicode-casemap',
  fold: unicodeFold,
  substring: true,
  compare: (a, b) => cmp(unicodeFold(a), unicodeFold(b)),
  equals: (a, b) => unicodeFold(a) === unicodeFold(b),
  equalsByFold: true,
};

/** i;ascii-numeric: leading digits as an unbounded integer; no digits = positive infinity. */
function numericKey(s: string): string | null {
  const m = /^[0-9]+/.exec(s);
  if (!m) return null;
  return m[0].replace(/^0+(?=.)/, '');
}

function numericCompare(a: string, b: string): number {
  const x = numericKey(a);
  const y = numericKey(b);
  if (x === null) return y === null ? 0 : 1;
  if (y === null) return -1;
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

const asciiNumeric: Comparator = {
  name: 'i;ascii-numeric',
  fold: (s) => s,
  substring: false,
  compare: numericCompare,
  equals: (a, b) => numericCompare(a, b) === 0,
  equalsByFold: false,
};

const COMPARATORS = new Map<string, Comparator>([
  [octet.name, octet],
  [asciiCasemap.name, asciiCasemap],
  [unicodeCasemap.name, unicodeCasemap],
  [asciiNumeric.name, asciiNumeric],
]);

/** Capability string needed to use a comparator ('' when built in). */
export function comparatorCapability(name: string): string {
  return name === 'i;octet' || name === 'i;ascii-casemap' || name === 'i;unicode-casemap'
    ? ''
    : `comparator-${name}`;
}

export function getComparator(name: string): Comparator | undefined {
  return COMPARATORS.get(name.toLowerCase());
}

export const RELATIONS = ['gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const;
export type Relation = (typeof RELATIONS)[number];

export function relationHolds(rel: string, c: number): boolean {
  switch (rel) {
    case 'gt':
      return c > 0;
    case 'ge':
      return c >= 0;
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
    case 'eq':
      return c === 0;
    case 'ne':
      return c !== 0;
    default:
      return false;
  }
}
