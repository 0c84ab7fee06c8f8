// Turns the lines and literals of one complete command into tokens (RFC 9051 §9 grammar, leniently:
// several spaces are taken as one, and 8-bit text is allowed in quoted strings for UTF8=ACCEPT).
import { isValidTag, type ImapRequest, type Token } from './tokens.js';

export type Segment = { kind: 'line'; data: Buffer } | { kind: 'literal'; data: Buffer };

export type TokenizeResult =
  { kind: 'request'; request: ImapRequest } | { kind: 'error'; tag: string | null; text: string };

class Fail extends Error {}

const MAX_DEPTH = 32;

export function tokenize(segments: Segment[]): TokenizeResult {
  const first = segments[0];
  if (!first || first.kind !== 'line') return { kind: 'error', tag: null, text: 'Empty command' };
  const line0 = first.data;
  const sp = line0.indexOf(32);
  const tag = line0.subarray(0, sp < 0 ? line0.length : sp).toString('latin1');
  if (!isValidTag(tag)) return { kind: 'error', tag: null, text: 'Invalid tag' };
  if (sp < 0) return { kind: 'error', tag, text: 'Missing command' };
  const cur = new Cursor(segments, sp + 1);
  try {
    const tokens = cur.readList(0, false);
    const cmd = tokens.shift();
    if (!cmd || cmd.kind !== 'atom') return { kind: 'error', tag, text: 'Missing command' };
    return { kind: 'request', request: { tag, command: cmd.value.toUpperCase(), args: tokens } };
  } catch (e) {
    if (e instanceof Fail) return { kind: 'error', tag, text: e.message };
    return { kind: 'error', tag, text: 'Syntax error' };
  }
}

class Cursor {
  private seg = 0;
  constructor(
    private readonly segments: Segment[],
    private pos: number,
  ) {}

  private get line(): Buffer {
    return this.segments[this.seg]!.data;
  }

  readList(depth: number, closing: boolean): Token[] {
    if (depth > MAX_DEPTH) throw new Fail('Lists nested too deeply');
    const out: Token[] = [];
    for (;;) {
      while (this.pos < this.line.length && this.line[this.pos] === 32) this.pos++;
      if (this.pos >= this.line.length) {
        if (closing) throw new Fail('Missing ")"');
        return out;
      }
      const c = this.line[this.pos]!;
      if (c === 41 /* ) */) {
        if (!closing) throw new Fail('Unexpected ")"');
        this.pos++;
        return out;
      }
      if (c === 40 /* ( */) {
        this.pos++;
        out.push({ kind: 'list', items: this.readList(depth + 1, true) });
      } else if (c === 34 /* " */) {
        out.push({ kind: 'string', value: this.readQuoted(), literal: false });
      } else if (c === 123 /* { */ || (c === 126 /* ~ */ && this.line[this.pos + 1] === 123)) {
        out.push(this.readLiteral(c === 126));
      } else {
        out.push({ kind: 'atom', value: this.readAtom() });
      }
      const n = this.line[this.pos];
      if (n !== undefined && n !== 32 && n !== 41) {
        throw new Fail('Missing space between arguments');
      }
    }
  }

  private readQuoted(): Buffer {
    const line = this.line;
    const bytes: number[] = [];
    let i = this.pos + 1;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === 34) {
        this.pos = i + 1;
        return Buffer.from(bytes);
      }
      if (c === 92 /* \ */) {
        const n = line[i + 1];
        if (n !== 34 && n !== 92) throw new Fail('Invalid escape in quoted string');
        bytes.push(n);
        i++;
        continue;
      }
      if (c === 0) throw new Fail('NUL in quoted string');
      bytes.push(c);
    }
    throw new Fail('Unterminated quoted string');
  }

  private readLiteral(literal8: boolean): Token {
    const line = this.line;
    const close = line.indexOf(125, this.pos);
    if (close !== line.length - 1) throw new Fail('Literal must end the line');
    const next = this.segments[this.seg + 1];
    if (!next || next.kind !== 'literal') throw new Fail('Missing literal data');
    const following = this.segments[this.seg + 2];
    if (!following || following.kind !== 'line') throw new Fail('Missing line after literal');
    this.seg += 2;
    this.pos = 0;
    return literal8
      ? { kind: 'string', value: next.data, literal: true, literal8: true }
      : { kind: 'string', value: next.data, literal: true };
  }

  private readAtom(): string {
    const line = this.line;
    let i = this.pos;
    let bracket = 0;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === 91 /* [ */) bracket++;
      else if (c === 93 /* ] */ && bracket > 0) bracket--;
      else if (bracket > 0) {
        if (c < 32 || c === 127) throw new Fail('Control character in atom');
        continue;
      } else if (c === 32 || c === 40 || c === 41 || c === 34 || c === 123) break;
      else if (c < 32 || c === 127) throw new Fail('Control character in atom');
    }
    if (bracket > 0) {
      // An unbalanced "[" is just an atom character (a mailbox named "a[b"): end at the next space.
      i = this.pos;
      while (i < line.length && ![32, 40, 41, 34, 123].includes(line[i]!)) {
        if (line[i]! < 32 || line[i] === 127) throw new Fail('Control character in atom');
        i++;
      }
    }
    const value = line.subarray(this.pos, i).toString('utf8');
    this.pos = i;
    if (value.length === 0) throw new Fail('Empty atom');
    return value;
  }
}
