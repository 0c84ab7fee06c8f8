// Turns the lines and literals of one complete command into a name and arguments (RFC 5804 §4):
//   command  = command-name *(SP argument) CRLF
//   argument = string / number;  string = quoted / literal-c2s
//   quoted   = DQUOTE *1024QUOTED-CHAR DQUOTE, where only DQUOTE and "\" are escaped with "\"
// Leniently, several spaces count as one. A continuation line (a SASL response) has no name.
import type { MsArg, MsCommand } from './tokens.js';

export type Segment = { kind: 'line'; data: Buffer } | { kind: 'literal'; data: Buffer };

export type TokenizeResult = { kind: 'command'; command: MsCommand } | { kind: 'error'; text: string };

/** RFC 5804 §4 caps quoted strings at 1024 octets; longer strings must be literals. */
export const MAX_QUOTED = 1024;

const LITERAL_MARK = /\{\d+\+?\}$/;
const ATOM_CHAR = /[A-Za-z0-9_.-]/;

class Fail extends Error {}

export function tokenizeLine(segments: readonly Segment[], continuation: boolean): TokenizeResult {
  try {
    const args: MsArg[] = [];
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i]!;
      if (seg.kind === 'literal') continue;
      let text = seg.data;
      const literal = segments[i + 1];
      let mark = 0;
      if (literal?.kind === 'literal') {
        const m = LITERAL_MARK.exec(text.toString('latin1'));
        mark = m ? m[0].length : 0;
        text = text.subarray(0, text.length - mark);
      }
      readArgs(text, args, i > 0, literal?.kind === 'literal');
      if (literal?.kind === 'literal') args.push({ kind: 'string', value: literal.data, literal: true });
    }
    if (continuation) {
      if (args.some((a) => a.kind !== 'string')) throw new Fail('Expected a string');
      return { kind: 'command', command: { name: '', args } };
    }
    const first = args.shift();
    if (!first) throw new Fail('Empty command');
    if (first.kind !== 'atom') throw new Fail('Expected a command name');
    return { kind: 'command', command: { name: first.value.toUpperCase(), args } };
  } catch (e) {
    return { kind: 'error', text: e instanceof Fail ? e.message : 'Syntax error' };
  }
}

function readArgs(line: Buffer, out: MsArg[], afterLiteral: boolean, literalFollows: boolean): void {
  // Arguments are separated by spaces, also from a literal before or after them.
  if (afterLiteral && line.length > 0 && line[0] !== 32) throw new Fail('Missing space after a literal');
  if (literalFollows && line.length > 0 && line[line.length - 1] !== 32)
    throw new Fail('Missing space before a literal');
  let pos = 0;
  for (;;) {
    const start = pos;
    while (pos < line.length && line[pos] === 32) pos++;
    if (pos >= line.length) return;
    if (pos === start && start > 0) throw new Fail('Missing space between arguments');
    const c = line[pos]!;
    if (c === 34 /* " */) {
      const r = readQuoted(line, pos);
      out.push({ kind: 'string', value: r.value, literal: false });
      pos = r.end;
    } else if (c >= 48 && c <= 57) {
      let end = pos;
      while (end < line.length && line[end]! >= 48 && line[end]! <= 57) end++;
      if (end < line.length && line[end] !== 32) throw new Fail('Invalid number');
      const digits = line.subarray(pos, end).toString('latin1');
      // RFC 5804 §4: number = 1*DIGIT, 0 <= number < 4,294,967,296.
      if (digits.length > 10 || Number(digits) > 0xffffffff) throw new Fail('Number out of range');
      out.push({ kind: 'number', value: Number(digits) });
      pos = end;
    } else if (ATOM_CHAR.test(String.fromCharCode(c))) {
      let end = pos;
      while (end < line.length && ATOM_CHAR.test(String.fromCharCode(line[end]!))) end++;
      if (end < line.length && line[end] !== 32) throw new Fail('Invalid character in a command name');
      out.push({ kind: 'atom', value: line.subarray(pos, end).toString('latin1') });
      pos = end;
    } else if (c === 123 /* { */) {
      throw new Fail('A literal marker must end the line');
    } else {
      throw new Fail('Unexpected character');
    }
  }
}

function readQuoted(line: Buffer, start: number): { value: Buffer; end: number } {
  const bytes: number[] = [];
  let i = start + 1;
  for (;;) {
    if (i >= line.length) throw new Fail('Unterminated quoted string');
    const c = line[i]!;
    if (c === 34) break;
    if (c === 92 /* \ */) {
      const n = line[i + 1];
      if (n !== 34 && n !== 92) throw new Fail('Invalid escape in a quoted string');
      bytes.push(n);
      i += 2;
    } else if (c === 0) {
      throw new Fail('NUL in a quoted string');
    } else {
      bytes.push(c);
      i++;
    }
    if (bytes.length > MAX_QUOTED)
      throw new Fail(`Quoted string longer than ${MAX_QUOTED} bytes; use a literal`);
  }
  const end = i + 1;
  if (end < line.length && line[end] !== 32) throw new Fail('Missing space after a quoted string');
  return { value: Buffer.from(bytes), end };
}
