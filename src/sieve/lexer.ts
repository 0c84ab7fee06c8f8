/**
 * Sieve lexer (RFC 5228 §2, §8.1). Produces tokens with line/column so that every
 * compile error can point at its source.
 */

export type TokenType =
  'identifier' | 'tag' | 'number' | 'string' | '[' | ']' | '(' | ')' | '{' | '}' | ',' | ';' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Identifier/tag name (tags without the colon), number value or string contents. */
  readonly value: string;
  readonly num?: number;
  /** For strings: true for `text:` multi-line strings. */
  readonly multiline?: boolean;
  readonly line: number;
  readonly column: number;
}

export class SieveSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

const MAX_NUMBER = 2 ** 32 - 1;

export function tokenize(src: string, maxStringLength = 1 << 24): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const col = (p: number): number => p - lineStart + 1;
  const fail = (msg: string, p = i): never => {
    throw new SieveSyntaxError(msg, line, col(p));
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const startLine = line;
      const startCol = col(i);
      i += 2;
      for (;;) {
        if (i >= src.length)
          throw new SieveSyntaxError('end of file before end of bracket comment', startLine, startCol);
        if (src[i] === '*' && src[i + 1] === '/') {
          i += 2;
          break;
        }
        if (src[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      continue;
    }
    const tokLine = line;
    const tokCol = col(i);
    if ('[](){},;'.includes(c)) {
      out.push({ type: c as TokenType, value: c, line: tokLine, column: tokCol });
      i++;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new SieveSyntaxError('unterminated quoted string', tokLine, tokCol);
        const d = src[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          i++;
          if (i >= src.length) continue;
          const e = src[i]!;
          if (e === '\n') {
            line++;
            lineStart = i + 1;
          }
          s += e;
          i++;
          continue;
        }
        if (d === '\n') {
          line++;
          lineStart = i + 1;
          // Bare LF in a quoted string is stored as CRLF (RFC 5228 §2.4.2).
          if (!s.endsWith('\r')) s += '\r';
        }
        s += d;
        i++;
      }
      if (s.length > maxStringLength) fail('string too long', i);
      out.push({ type: 'string', value: s, line: tokLine, column: tokCol });
      continue;
    }
    if (c === ':') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i + 1, i + 200));
      if (!m) fail(`unexpected character ':'`);
      out.push({ type: 'tag', value: m![0], line: tokLine, column: tokCol });
      i += 1 + m![0].length;
      continue;
    }
    if (c >= '0' && c <= '9') {
      let j = i;
      while (j < src.length && src[j]! >= '0' && src[j]! <= '9') j++;
      let n = Number(src.slice(i, j));
      const q = src[j];
      if (q && /[KkMmGg]/.test(q)) {
        n *= q === 'K' || q === 'k' ? 1024 : q === 'M' || q === 'm' ? 1024 * 1024 : 1024 * 1024 * 1024;
        j++;
      }
      if (j < src.length && /[A-Za-z_]/.test(src[j]!)) fail('invalid number');
      if (n > MAX_NUMBER) fail('number exceeds integer limit');
      out.push({ type: 'number', value: src.slice(i, j), num: n, line: tokLine, column: tokCol });
      i = j;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j]!)) j++;
      const word = src.slice(i, j);
      if (word.toLowerCase() === 'text' && src[j] === ':') {
        // Multi-line string: rest of the line may hold whitespace and a hash comment only.
        j++;
        while (src[j] === ' ' || src[j] === '\t') j++;
        if (src[j] === '#') while (j < src.length && src[j] !== '\n') j++;
        if (src[j] === '\r') j++;
        if (src[j] !== '\n') {
          i = j;
          fail('invalid text: multi-line string header');
        }
        j++;
        line++;
        lineStart = j;
        const lines: string[] = [];
        for (;;) {
          if (j >= src.length) throw new SieveSyntaxError('unterminated multi-line string', tokLine, tokCol);
          let e = src.indexOf('\n', j);
          if (e < 0) e = src.length;
          let l = src.slice(j, e);
          if (l.endsWith('\r')) l = l.slice(0, -1);
          j = e + 1;
          line++;
          lineStart = j;
          if (l === '.') break;
          lines.push(l.startsWith('..') ? l.slice(1) : l);
        }
        const s = lines.map((l) => `${l}\r\n`).join('');
        if (s.length > maxStringLength) fail('string too long', j);
        out.push({ type: 'string', value: s, multiline: true, line: tokLine, column: tokCol });
        i = Math.min(j, src.length);
        continue;
      }
      out.push({ type: 'identifier', value: word, line: tokLine, column: tokCol });
      i = j;
      continue;
    }
    fail(`unexpected character '${c}'`);
  }
  out.push({ type: 'eof', value: '', line, column: col(i) });
  return out;
}
