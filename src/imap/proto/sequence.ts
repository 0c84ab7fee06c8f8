// Sequence sets (RFC 9051 §9 sequence-set, and "$" from SEARCHRES, RFC 5182): parsed once, then resolved
// against the mailbox size (for "*") by the session.

/** `0` stands for "*" (the largest number in use): real message numbers start at 1. */
export interface SeqRange {
  from: number;
  to: number;
}

export type SequenceSet = { kind: 'ranges'; ranges: SeqRange[] } | { kind: 'saved' };

export const STAR = 0;

const NUM = /^[1-9]\d{0,9}$/;

function seqNumber(s: string): number | null {
  if (s === '*') return STAR;
  if (!NUM.test(s)) return null;
  const n = Number(s);
  return n <= 0xffffffff ? n : null;
}

export function parseSequenceSet(s: string): SequenceSet | null {
  if (s === '$') return { kind: 'saved' };
  if (s.length === 0) return null;
  const ranges: SeqRange[] = [];
  for (const part of s.split(',')) {
    const colon = part.indexOf(':');
    if (colon < 0) {
      const n = seqNumber(part);
      if (n === null) return null;
      ranges.push({ from: n, to: n });
    } else {
      const a = seqNumber(part.slice(0, colon));
      const b = seqNumber(part.slice(colon + 1));
      if (a === null || b === null) return null;
      ranges.push({ from: a, to: b });
    }
  }
  return { kind: 'ranges', ranges };
}

/** Normalised [low, high] pairs with "*" replaced by `max` (a range "n:*" with n > max means max:n). */
export function resolveRanges(ranges: readonly SeqRange[], max: number): Array<[number, number]> {
  return ranges.map((r) => {
    const a = r.from === STAR ? max : r.from;
    const b = r.to === STAR ? max : r.to;
    return a <= b ? [a, b] : [b, a];
  });
}

export function inRanges(n: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [a, b] of ranges) if (n >= a && n <= b) return true;
  return false;
}

/** Compact text form of ascending (or any) numbers: "1:3,7,9:10". */
export function formatSequenceSet(nums: Iterable<number>): string {
  const parts: string[] = [];
  let start = -1;
  let prev = -1;
  for (const n of nums) {
    if (start < 0) {
      start = prev = n;
    } else if (n === prev + 1) {
      prev = n;
    } else {
      parts.push(start === prev ? `${start}` : `${start}:${prev}`);
      start = prev = n;
    }
  }
  if (start >= 0) parts.push(start === prev ? `${start}` : `${start}:${prev}`);
  return parts.join(',');
}
