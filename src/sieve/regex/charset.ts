/**
 * Bracket-expression sets and case folding for the `:regex` matcher. Sets hold code-point
 * ranges; ASCII membership is a table lookup because nearly all header text is ASCII.
 */

/** How a comparator folds case: i;octet none, i;ascii-casemap ASCII, i;unicode-casemap all. */
export type FoldMode = 'none' | 'ascii' | 'unicode';

/** POSIX character classes ([:name:]) in the C locale, as code-point ranges. */
export const POSIX_CLASSES: Readonly<Record<string, readonly (readonly [number, number])[]>> = {
  alpha: [r('a', 'z'), r('A', 'Z')],
  digit: [r('0', '9')],
  alnum: [r('a', 'z'), r('A', 'Z'), r('0', '9')],
  upper: [r('A', 'Z')],
  lower: [r('a', 'z')],
  space: [r(' ', ' '), r('\t', '\r')],
  blank: [r(' ', ' '), r('\t', '\t')],
  punct: [r('!', '/'), r(':', '@'), r('[', '`'), r('{', '~')],
  print: [r(' ', '~')],
  graph: [r('!', '~')],
  cntrl: [
    [0, 0x1f],
    [0x7f, 0x7f],
  ],
  xdigit: [r('0', '9'), r('A', 'F'), r('a', 'f')],
};

function r(a: string, b: string): readonly [number, number] {
  return [a.codePointAt(0)!, b.codePointAt(0)!];
}

export class CharSet {
  private readonly ascii = new Uint8Array(128);
  /** Ranges reaching beyond ASCII (checked only for non-ASCII input). */
  private readonly wide: (readonly [number, number])[] = [];

  constructor(
    readonly negated: boolean,
    ranges: readonly (readonly [number, number])[],
    private readonly fold: FoldMode,
  ) {
    for (const [lo, hi] of ranges) {
      for (let c = lo; c <= Math.min(hi, 127); c++) this.ascii[c] = 1;
      if (hi > 127) this.wide.push([Math.max(lo, 128), hi]);
    }
  }

  private has(c: number): boolean {
    if (c < 128) return this.ascii[c] === 1;
    for (const [lo, hi] of this.wide) if (c >= lo && c <= hi) return true;
    return false;
  }

  /**
   * Caseless sets match when any case variant of the character is a member, as the old
   * RegExp 'i' flag did ([A-Z] matches 'a'; [^a] does not match 'A').
   */
  matches(c: number): boolean {
    let hit = this.has(c);
    if (!hit && this.fold !== 'none') {
      if (this.fold === 'ascii' || c < 128) {
        if (c >= 0x41 && c <= 0x5a) hit = this.has(c + 32);
        else if (c >= 0x61 && c <= 0x7a) hit = this.has(c - 32);
      } else {
        const v = caseVariants(c);
        hit = this.has(v[0]) || this.has(v[1]);
      }
    }
    return hit !== this.negated;
  }
}

const variantCache = new Map<number, readonly [number, number]>();

/** Simple (one code point to one) upper- and lowercase of a code point, itself when none. */
function caseVariants(c: number): readonly [number, number] {
  let v = variantCache.get(c);
  if (v) return v;
  const s = String.fromCodePoint(c);
  v = [single(s.toUpperCase(), c), single(s.toLowerCase(), c)];
  if (variantCache.size > 4096) variantCache.clear();
  variantCache.set(c, v);
  return v;
}

function single(s: string, fallback: number): number {
  const cp = s.codePointAt(0)!;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : fallback;
}

/** Canonical case of a code point under a fold mode (what literal characters compare by). */
export function foldChar(c: number, fold: FoldMode): number {
  if (fold === 'none') return c;
  if (c < 128 || fold === 'ascii') return c >= 0x41 && c <= 0x5a ? c + 32 : c;
  const [up] = caseVariants(c);
  // Like RegExp's non-Unicode canonicalisation: never fold a non-ASCII letter onto ASCII (ſ, K).
  const low = caseVariants(up)[1];
  return low < 128 ? c : low;
}
