/**
 * Parser for POSIX extended regular expressions with the exact syntax the engine accepted when
 * `:regex` was translated to a JavaScript RegExp (so stored scripts keep compiling):
 *
 * - `\c` is the literal c for every c (ERE has no backreferences and no class escapes);
 * - bracket expressions follow POSIX: backslash is literal, `]` first is a member, [:class:],
 *   [.c.] and [=c=] are supported, ranges must be ascending;
 * - intervals must be well formed (`{n}`, `{n,}`, `{n,m}`, n ≤ m ≤ MAX_REPEAT);
 * - a repetition needs something repeatable before it (`*a`, `^*`, `a**` are errors); a `?`
 *   right after a repetition makes it lazy, as in the old translation;
 * - `()` and unbalanced parentheses are errors; `(?` is an error, as in POSIX (REG_BADRPT).
 *
 * Errors are thrown as SyntaxError.
 */
import type { ParsedRegex, RegexNode } from './ast.js';
import { CharSet, POSIX_CLASSES, foldChar, type FoldMode } from './charset.js';

/** Largest repetition count (POSIX's portable RE_DUP_MAX); keeps expanded programs small. */
export const MAX_REPEAT = 255;
/** Deepest parenthesis nesting; the parser and compiler recurse per level. */
export const MAX_GROUP_NESTING = 200;

export function parseRegex(src: string, fold: FoldMode): ParsedRegex {
  return new Parser(src, fold).parse();
}

class Parser {
  private i = 0;
  private groups = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly fold: FoldMode,
  ) {}

  parse(): ParsedRegex {
    const root = this.alternation();
    if (this.i < this.src.length) throw new SyntaxError("unmatched ')'");
    return { root, groups: this.groups };
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  /** The code point at the cursor, advancing past it. */
  private takeCodePoint(): number {
    const c = this.src.codePointAt(this.i)!;
    this.i += c > 0xffff ? 2 : 1;
    return c;
  }

  private alternation(): RegexNode {
    const items = [this.concatenation()];
    while (this.peek() === '|') {
      this.i++;
      items.push(this.concatenation());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private concatenation(): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items.length === 0 ? { t: 'empty' } : items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private atom(): RegexNode {
    const c = this.peek()!;
    switch (c) {
      case '*':
      case '+':
      case '?':
      case '{':
        throw new SyntaxError(`nothing to repeat before '${c}'`);
      case '(': {
        this.i++;
        if (this.peek() === '?') throw new SyntaxError("nothing to repeat before '?'");
        if (this.peek() === ')') throw new SyntaxError('empty group');
        if (++this.depth > MAX_GROUP_NESTING) throw new SyntaxError('groups nested too deeply');
        const index = ++this.groups;
        const body = this.alternation();
        if (this.peek() !== ')') throw new SyntaxError("unmatched '('");
        this.i++;
        this.depth--;
        return { t: 'group', index, body };
      }
      case '[':
        return this.bracket();
      case '.':
        this.i++;
        return { t: 'any' };
      case '^':
        this.i++;
        return { t: 'bol' };
      case '$':
        this.i++;
        return { t: 'eol' };
      case '\\':
        this.i++;
        if (this.i >= this.src.length) throw new SyntaxError('trailing backslash');
        return this.literal(this.takeCodePoint());
      default:
        return this.literal(this.takeCodePoint());
    }
  }

  private literal(c: number): RegexNode {
    return { t: 'char', c: foldChar(c, this.fold) };
  }

  /** Applies a following repetition operator, if any, to `atom`. */
  private quantified(atom: RegexNode): RegexNode {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, -1];
    else if (c === '+') [min, max] = [1, -1];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      [min, max] = this.interval();
    } else return atom;
    if (atom.t === 'bol' || atom.t === 'eol') throw new SyntaxError(`nothing to repeat before '${c}'`);
    if (c !== '{') this.i++;
    let greedy = true;
    if (this.peek() === '?') {
      greedy = false;
      this.i++;
    }
    const n = this.peek();
    if (n === '*' || n === '+' || n === '?' || n === '{')
      throw new SyntaxError(`nothing to repeat before '${n}'`);
    return { t: 'rep', body: atom, min, max, greedy };
  }

  /** Reads `{n}`, `{n,}` or `{n,m}` at the cursor. */
  private interval(): [number, number] {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i, this.i + 32));
    if (!m) throw new SyntaxError('invalid interval');
    this.i += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    if (max !== -1 && max < min) throw new SyntaxError('invalid interval: numbers out of order');
    if (min > MAX_REPEAT || max > MAX_REPEAT)
      throw new SyntaxError(`invalid interval: counts are limited to ${MAX_REPEAT}`);
    return [min, max];
  }

  /** A bracket expression; the cursor is on '['. */
  private bracket(): RegexNode {
    const src = this.src;
    let j = this.i + 1;
    let negated = false;
    if (src[j] === '^') {
      negated = true;
      j++;
    }
    const ranges: (readonly [number, number])[] = [];
    /** The last single character, which a following '-' may turn into a range start. */
    let first = true;
    for (;;) {
      if (j >= src.length) throw new SyntaxError('unterminated bracket expression');
      if (src[j] === ']' && !first) break;
      first = false;
      const start = this.bracketAtom(j);
      j = start.next;
      if (start.char !== undefined && src[j] === '-' && j + 1 < src.length && src[j + 1] !== ']') {
        const end = this.bracketAtom(j + 1);
        if (end.char === undefined) throw new SyntaxError('invalid range end in bracket expression');
        if (end.char < start.char) throw new SyntaxError('range out of order in bracket expression');
        ranges.push([start.char, end.char]);
        j = end.next;
        continue;
      }
      ranges.push(...start.ranges);
    }
    this.i = j + 1;
    return { t: 'set', set: new CharSet(negated, ranges, this.fold) };
  }

  /** One member at `j`: a character (usable as a range end) or a [:class:]. */
  private bracketAtom(j: number): {
    next: number;
    char?: number;
    ranges: readonly (readonly [number, number])[];
  } {
    const src = this.src;
    if (src[j] === '[' && src[j + 1] === ':') {
      const e = src.indexOf(':]', j + 2);
      if (e < 0) throw new SyntaxError('bad character class');
      const name = src.slice(j + 2, e);
      const body = Object.hasOwn(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined;
      if (body === undefined) throw new SyntaxError(`unknown character class ${name}`);
      return { next: e + 2, ranges: body };
    }
    if (src[j] === '[' && (src[j + 1] === '.' || src[j + 1] === '=')) {
      const e = src.indexOf(`${src[j + 1]}]`, j + 2);
      if (e < 0) throw new SyntaxError('bad collating element');
      const inner = src.slice(j + 2, e);
      const c = inner.codePointAt(0);
      // Only single-character collating elements exist in the C locale.
      if (c === undefined || inner.length !== (c > 0xffff ? 2 : 1))
        throw new SyntaxError('invalid collating element');
      return { next: e + 2, char: c, ranges: [[c, c]] };
    }
    const c = src.codePointAt(j)!;
    return { next: j + (c > 0xffff ? 2 : 1), char: c, ranges: [[c, c]] };
  }
}
