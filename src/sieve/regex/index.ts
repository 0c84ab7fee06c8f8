/**
 * Sieve `:regex` (RFC 5229): POSIX extended regular expressions matched by a Pike VM in time
 * linear in the text (O(text × pattern)), never by backtracking, so a hostile pattern or header
 * cannot stall delivery. See parser.ts for the accepted syntax and pike-vm.ts for the matcher.
 */
import type { FoldMode } from './charset.js';
import { parseRegex } from './parser.js';
import { compileProgram, MAX_TRACKED_GROUPS, type Program } from './program.js';
import { pikeExec } from './pike-vm.js';

export type { FoldMode } from './charset.js';
export { MAX_REPEAT } from './parser.js';
export { MAX_PROGRAM } from './program.js';
export { compileGlob, globExec } from './glob.js';

export class PosixRegex {
  constructor(
    private readonly program: Program,
    readonly fold: FoldMode,
  ) {}

  /** Number of capture groups. */
  get groups(): number {
    return this.program.groups;
  }

  /** Whether the expression matches anywhere in `text`. */
  test(text: string, onWork?: () => void): boolean {
    return pikeExec(this.program, text, { fold: this.fold, captures: false, onWork }) !== null;
  }

  /**
   * The leftmost match: [whole match, group 1, …], '' for groups that took no part (only the
   * first MAX_TRACKED_GROUPS groups are recorded; later ones read ''), or null.
   */
  exec(text: string, onWork?: () => void): string[] | null {
    const slots = pikeExec(this.program, text, { fold: this.fold, captures: true, onWork });
    if (!slots) return null;
    const out: string[] = [];
    for (let g = 0; g <= this.program.groups; g++) {
      const s = slots[2 * g] ?? -1;
      const e = slots[2 * g + 1] ?? -1;
      // Slots past the tracked groups are Mark registers, not captures.
      out.push(g <= MAX_TRACKED_GROUPS && s >= 0 && e >= 0 ? text.slice(s, e) : '');
    }
    return out;
  }
}

/** The fold mode a comparator implies for `:regex`. */
export function regexFold(comparator: string): FoldMode {
  return comparator === 'i;octet' ? 'none' : comparator === 'i;unicode-casemap' ? 'unicode' : 'ascii';
}

/** Compile; throws SyntaxError for invalid (or too large) expressions. */
export function compilePosixRegex(src: string, fold: FoldMode): PosixRegex {
  return new PosixRegex(compileProgram(parseRegex(src, fold), fold), fold);
}

const cache = new Map<string, PosixRegex | null>();

/** Compile (cached) a POSIX ERE for a comparator's fold mode; null when invalid. */
export function posixRegex(src: string, fold: FoldMode): PosixRegex | null {
  const key = `${fold}:${src}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let r: PosixRegex | null;
  try {
    r = compilePosixRegex(src, fold);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    r = null;
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, r);
  return r;
}
