/**
 * Sieve lexer (RFC 5228 §2, §8.1), modelled on Pigeonhole's: a scanner the parser pulls one
 * token at a time. A lexical error is reported where it is found and becomes an `error` token
 * (or `garbage` for stray characters), so the parser can recover and keep counting errors the
 * way Pigeonhole does. Tokens carry line and column so every error can point at its source.
 */

export type TokenType =
  | 'identifier'
  | 'tag'
  | 'number'
  | 'string'
  | '['
  | ']'
  | '('
  | ')'
  | '{'
  | '}'
  | ','
  | ';'
  | '/'
  | ':'
  | 'garbage'
  | 'error'
  | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Identifier/tag name (tags without the colon), number text or string contents. */
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

export type LexReport = (line: number, column: number, message: string, warning?: boolean) => void;

/** Numbers are unsigned 64-bit in Pigeonhole; larger values (after K/M/G) are errors. */
const MAX_NUMBER = (1n << 64n) - 1n;
const MAX_IDENTIFIER = 32;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
const isIdent = (c: string | undefined): boolean => isAlpha(c) || isDigit(c) || c === '_';

function describeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return code > 31 && code < 127 ? `'${c}'` : `0x${code.toString(16).padStart(2, '0')}`;
}

export class Scanner {
  private i = 0;
  private line = 1;
  private lineStart = 0;
  /** The current token; `next()` moves on. */
  token: Token = { type: 'eof', value: '', line: 1, column: 1 };

  constructor(
    private readonly src: string,
    private readonly report: LexReport,
    private readonly maxStringLength = 1 << 20,
  ) {}

  private get col(): number {
    return this.i - this.lineStart + 1;
  }

  private shift(): void {
    if (this.src[this.i] === '\n') {
      this.line++;
      this.lineStart = this.i + 1;
    }
    this.i++;
  }

  private cur(): string | undefined {
    return this.src[this.i];
  }

  private set(type: TokenType, line: number, column: number, value = '', extra: Partial<Token> = {}): void {
    this.token = { type, value, line, column, ...extra };
  }

  private error(message: string): void {
    this.report(this.line, this.col, message);
  }

  /** Scan to the next token that is not whitespace or a comment. */
  next(): void {
    while (this.scan() === 'ws');
  }

  private scan(): 'ws' | 'tok' {
    const line = this.line;
    const column = this.col;
    const c = this.cur();
    if (c === undefined) {
      this.set('eof', line, column);
      return 'tok';
    }
    if (c === '#') {
      while (this.cur() !== undefined && this.cur() !== '\n') {
        if (this.cur() === '\0') {
          this.error('encountered NUL character in hash comment');
          this.set('error', line, column);
          return 'tok';
        }
        this.shift();
      }
      if (this.cur() === undefined)
        this.report(this.line, this.col, 'no newline (CRLF) at end of hash comment at end of file', true);
      else this.shift();
      return 'ws';
    }
    if (c === '/') {
      this.shift();
      if (this.cur() !== '*') {
        this.set('/', line, column, '/');
        return 'tok';
      }
      this.shift();
      for (;;) {
        const d = this.cur();
        if (d === undefined) {
          this.error(`end of file before end of bracket comment ('/* ... */') started at line ${line}`);
          this.set('error', line, column);
          return 'tok';
        }
        if (d === '\0') {
          this.error('encountered NUL character in bracket comment');
          this.set('error', line, column);
          return 'tok';
        }
        this.shift();
        if (d === '*' && this.cur() === '/') {
          this.shift();
          return 'ws';
        }
      }
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      while (this.cur() === ' ' || this.cur() === '\t' || this.cur() === '\r' || this.cur() === '\n')
        this.shift();
      return 'ws';
    }
    if (c === '"') return this.quoted(line, column);
    if ('[](){},;'.includes(c)) {
      this.shift();
      this.set(c as TokenType, line, column, c);
      return 'tok';
    }
    if (isDigit(c)) return this.number(line, column);
    if (isAlpha(c) || c === '_' || c === ':') return this.word(line, column);
    // Stray characters: one error for a run of them, one garbage token per character.
    if (this.token.type !== 'garbage') this.error(`unexpected character(s) starting with ${describeChar(c)}`);
    this.i += c.length;
    this.set('garbage', line, column, c);
    return 'tok';
  }

  private quoted(line: number, column: number): 'tok' {
    this.shift();
    let s = '';
    for (;;) {
      let escaped = false;
      if (this.cur() === '\\') {
        this.shift();
        escaped = true;
      }
      const d = this.cur();
      if (d === undefined) {
        this.error(`end of file before end of quoted string started at line ${line}`);
        this.set('error', line, column);
        return 'tok';
      }
      if (d === '"' && !escaped) break;
      if (d === '\0') {
        this.error(`encountered NUL character in quoted string started at line ${line}`);
        this.set('error', line, column);
        return 'tok';
      }
      if (d === '\r') {
        this.shift();
        if (this.cur() !== '\n') {
          this.error(`found stray carriage-return (CR) character in quoted string started at line ${line}`);
          this.set('error', line, column);
          return 'tok';
        }
        s += '\r\n';
      } else if (d === '\n') s += '\r\n';
      else s += d;
      this.shift();
    }
    this.shift();
    if (s.length > this.maxStringLength) {
      this.error(`quoted string started at line ${line} is too long`);
      this.set('error', line, column);
      return 'tok';
    }
    this.set('string', line, column, s);
    return 'tok';
  }

  private number(line: number, column: number): 'tok' {
    const start = this.i;
    while (isDigit(this.cur())) this.shift();
    const digits = this.src.slice(start, this.i);
    let value = BigInt(digits);
    let overflow = value > MAX_NUMBER;
    if (!overflow) {
      const q = this.cur()?.toLowerCase();
      const shiftBy = q === 'k' ? 10n : q === 'm' ? 20n : q === 'g' ? 30n : 0n;
      if (shiftBy) {
        if (value > MAX_NUMBER >> shiftBy) overflow = true;
        else value <<= shiftBy;
        this.shift();
      }
    }
    if (overflow) {
      this.error(`number exceeds integer limits (max ${MAX_NUMBER})`);
      this.set('error', line, column);
      return 'tok';
    }
    this.set('number', line, column, this.src.slice(start, this.i), { num: Number(value) });
    return 'tok';
  }

  private word(line: number, column: number): 'tok' {
    let type: TokenType = 'identifier';
    if (this.cur() === ':') {
      this.shift();
      if (!isAlpha(this.cur()) && this.cur() !== '_') {
        this.set(':', line, column, ':');
        return 'tok';
      }
      type = 'tag';
    }
    const start = this.i;
    this.shift();
    while (isIdent(this.cur())) this.shift();
    const word = this.src.slice(start, this.i);
    if (type === 'identifier' && this.cur() === ':' && word.toLowerCase() === 'text')
      return this.text(line, column);
    if (word.length > MAX_IDENTIFIER) {
      this.error(
        `encountered impossibly long ${type === 'tag' ? "tag identifier ':" : "identifier '"}${word.slice(0, MAX_IDENTIFIER)}...'`,
      );
      this.set('error', line, column);
      return 'tok';
    }
    this.set(type, line, column, word);
    return 'tok';
  }

  /** `text:` multi-line string (RFC 5228 §2.4.2), dot-stuffed, ended by a line with a lone ".". */
  private text(line: number, column: number): 'tok' {
    this.shift(); // ':'
    while (this.cur() === ' ' || this.cur() === '\t') this.shift();
    if (this.cur() === '\r') this.shift();
    const c = this.cur();
    if (c === '#') {
      while (this.cur() !== undefined && this.cur() !== '\n') this.shift();
      if (this.cur() === undefined) {
        this.error('end of file before end of multi-line string');
        this.set('error', line, column);
        return 'tok';
      }
      this.shift();
    } else if (c === '\n') this.shift();
    else if (c === undefined) {
      this.error('end of file before end of multi-line string');
      this.set('error', line, column);
      return 'tok';
    } else {
      this.error(`invalid character ${describeChar(c)} after 'text:' in multiline string`);
      this.set('error', line, column);
      return 'tok';
    }
    let s = '';
    for (;;) {
      if (this.cur() === '.') {
        this.shift();
        let cr = false;
        if (this.cur() === '\r') {
          this.shift();
          cr = true;
        }
        if (this.cur() === '\n' || (this.cur() === undefined && !cr)) {
          if (this.cur() === '\n') this.shift();
          else {
            // "." at the very end without a line break: Pigeonhole needs the LF.
            this.error('end of file before end of multi-line string');
            this.set('error', line, column);
            return 'tok';
          }
          if (s.length > this.maxStringLength) {
            this.error(`multi-line string started at line ${line} is too long`);
            this.set('error', line, column);
            return 'tok';
          }
          this.set('string', line, column, s, { multiline: true });
          return 'tok';
        }
        if (cr) {
          this.error(
            `found stray carriage-return (CR) character in multi-line string started at line ${line}`,
          );
          this.set('error', line, column);
          return 'tok';
        }
        s += '.';
        if (this.cur() === '.') this.shift();
      }
      while (this.cur() !== '\n' && this.cur() !== '\r') {
        const d = this.cur();
        if (d === undefined) {
          this.error('end of file before end of multi-line string');
          this.set('error', line, column);
          return 'tok';
        }
        if (d === '\0') {
          this.error(`encountered NUL character in quoted string started at line ${line}`);
          this.set('error', line, column);
          return 'tok';
        }
        s += d;
        this.shift();
      }
      if (this.cur() === '\r') this.shift();
      if (this.cur() !== '\n') {
        this.error(`found stray carriage-return (CR) character in multi-line string started at line ${line}`);
        this.set('error', line, column);
        return 'tok';
      }
      s += '\r\n';
      this.shift();
    }
  }
}

/** Human description of a token for parse errors. */
export function describeToken(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of file';
    case 'identifier':
      return 'identifier';
    case 'tag':
      return 'tag';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'garbage':
      return 'unknown characters';
    case 'error':
      return 'error token (bug)';
    default:
      return `'${t.type}'`;
  }
}

/** All tokens of a source, or the first lexical error thrown (for tools that only need tokens). */
export function tokenize(src: string, maxStringLength = 1 << 20): Token[] {
  let first: SieveSyntaxError | undefined;
  const sc = new Scanner(
    src,
    (line, column, message, warning) => {
      if (!warning) first ??= new SieveSyntaxError(message, line, column);
    },
    maxStringLength,
  );
  const out: Token[] = [];
  do {
    sc.next();
    out.push(sc.token);
  } while (sc.token.type !== 'eof' && !first);
  if (first) throw first;
  return out;
}
