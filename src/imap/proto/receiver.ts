// The IMAP command receiver (RFC 9051 §2.2, §4.3): fed raw bytes in any chunking, it returns one
// value at a time — a complete request, "need more", "need a literal" (so the session can send the
// `+` continuation for a synchronizing literal) or an error — and never throws on input. Memory is
// bounded by maxLineLength (non-literal bytes of one command) and maxLiteralSize.
import { tokenize, type Segment } from './tokenizer.js';
import { isValidTag, type ImapRequest } from './tokens.js';

export type { ImapRequest };

export type ReceiveResult =
  | { kind: 'request'; request: ImapRequest }
  | { kind: 'needMore' }
  | { kind: 'needLiteral'; tag: string; command: string; size: number; nonSync: boolean }
  | { kind: 'error'; tag: string | null; text: string; code?: string; fatal: boolean }
  | { kind: 'line'; text: string };

export interface ReceiverOptions {
  /** Non-literal bytes of one command (RFC 7162 §4 asks servers to take at least 8192). */
  maxLineLength: number;
  /** Largest literal accepted (APPENDLIMIT). */
  maxLiteralSize: number;
  /** Literals per command. */
  maxLiterals?: number;
  /** LITERAL- (RFC 7888 §5): non-synchronizing literals above 4096 bytes are refused. */
  literalMinus?: boolean;
}

const EMPTY = Buffer.alloc(0);
const LITERAL_AT_END = /(~?)\{(\d{1,12})(\+?)\}$/;

interface PendingLiteral {
  size: number;
  got: number;
  parts: Buffer[];
}

export class ImapReceiver {
  private input: Buffer = EMPTY;
  private segments: Segment[] = [];
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  private commandLen = 0;
  private literal: PendingLiteral | null = null;
  private skipping = false;
  private rawLine = false;

  constructor(private readonly opts: ReceiverOptions) {}

  push(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
  }

  /** Bytes received but not yet consumed (used for backpressure). */
  get buffered(): number {
    return this.input.length;
  }

  /** The next line is not a command (AUTHENTICATE response, IDLE's DONE): return it as `line`. */
  expectLine(): void {
    this.rawLine = true;
  }

  /** Drops everything buffered: after STARTTLS nothing sent in plain text may be used (RFC 9051 §6.2.1). */
  reset(): void {
    this.input = EMPTY;
    this.clearCommand();
    this.skipping = false;
    this.rawLine = false;
  }

  /** Whether a command is partly received (a half line or a literal under way). */
  get midCommand(): boolean {
    return this.segments.length > 0 || this.lineLen > 0 || this.literal !== null;
  }

  /** In the state a new receiver starts in: nothing buffered, expected or being skipped. */
  get idle(): boolean {
    return this.input.length === 0 && !this.midCommand && !this.skipping && !this.rawLine;
  }

  next(): ReceiveResult {
    for (;;) {
      if (this.literal) {
        const lit = this.literal;
        const take = Math.min(lit.size - lit.got, this.input.length);
        if (take > 0) {
          lit.parts.push(this.input.subarray(0, take));
          this.input = take === this.input.length ? EMPTY : this.input.subarray(take);
          lit.got += take;
        }
        if (lit.got < lit.size) return { kind: 'needMore' };
        this.segments.push({
          kind: 'literal',
          data: lit.parts.length === 1 ? lit.parts[0]! : Buffer.concat(lit.parts),
        });
        this.literal = null;
        continue;
      }
      const lf = this.input.indexOf(10);
      if (lf < 0) {
        if (this.skipping) {
          this.input = EMPTY;
          return { kind: 'needMore' };
        }
        if (this.input.length > 0) {
          this.lineParts.push(this.input);
          this.lineLen += this.input.length;
          this.input = EMPTY;
        }
        if (this.commandLen + this.lineLen > this.opts.maxLineLength) return this.tooLong();
        return { kind: 'needMore' };
      }
      const head = this.input.subarray(0, lf);
      // Nothing left: drop the chunk, so an idle session does not keep its last read alive.
      this.input = lf + 1 === this.input.length ? EMPTY : this.input.subarray(lf + 1);
      if (this.skipping) {
        this.skipping = false;
        this.lineParts = [];
        this.lineLen = 0;
        continue;
      }
      this.lineParts.push(head);
      this.lineLen += head.length;
      let line = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts);
      this.lineParts = [];
      this.lineLen = 0;
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      if (this.rawLine) {
        this.rawLine = false;
        if (line.length > this.opts.maxLineLength)
          return { kind: 'error', tag: null, text: 'Line too long', fatal: false };
        return { kind: 'line', text: line.toString('utf8') };
      }
      this.commandLen += line.length;
      if (this.commandLen > this.opts.maxLineLength) {
        const tag = this.currentTag(line);
        this.clearCommand();
        return { kind: 'error', tag, code: 'TOOBIG', text: 'Command line too long', fatal: false };
      }
      if (this.segments.length === 0 && line.length === 0) continue; // stray empty line: ignore it
      this.segments.push({ kind: 'line', data: line });
      const lit = literalAtEnd(line);
      if (lit) {
        const tag = this.currentTag(null);
        const command = this.currentCommand();
        const literals = this.segments.filter((s) => s.kind === 'literal').length;
        if (lit.size > this.opts.maxLiteralSize || literals >= (this.opts.maxLiterals ?? 1000)) {
          this.clearCommand();
          // A non-synchronizing literal is coming anyway; we cannot find the next command (RFC 7888 §4).
          return {
            kind: 'error',
            tag,
            code: 'TOOBIG',
            text: lit.size > this.opts.maxLiteralSize ? 'Literal too large' : 'Too many literals',
            fatal: lit.nonSync,
          };
        }
        if (lit.nonSync && this.opts.literalMinus && lit.size > 4096) {
          this.clearCommand();
          return {
            kind: 'error',
            tag,
            code: 'TOOBIG',
            text: 'Non-synchronizing literal too large (LITERAL-)',
            fatal: true,
          };
        }
        this.literal = { size: lit.size, got: 0, parts: [] };
        return { kind: 'needLiteral', tag: tag ?? '*', command, size: lit.size, nonSync: lit.nonSync };
      }
      const segments = this.segments;
      this.clearCommand();
      const parsed = tokenize(segments);
      if (parsed.kind === 'error') return { kind: 'error', tag: parsed.tag, text: parsed.text, fatal: false };
      return { kind: 'request', request: parsed.request };
    }
  }

  private tooLong(): ReceiveResult {
    const partial = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts);
    const tag = this.currentTag(partial);
    this.clearCommand();
    this.skipping = true;
    return { kind: 'error', tag, code: 'TOOBIG', text: 'Command line too long', fatal: false };
  }

  private clearCommand(): void {
    this.segments = [];
    this.lineParts = [];
    this.lineLen = 0;
    this.commandLen = 0;
    this.literal = null;
  }

  private firstLine(fallback: Buffer | null): Buffer | null {
    const first = this.segments[0];
    return first && first.kind === 'line' ? first.data : fallback;
  }

  private currentTag(fallback: Buffer | null): string | null {
    const line = this.firstLine(fallback);
    if (!line) return null;
    const sp = line.indexOf(32);
    const tag = line.subarray(0, sp < 0 ? line.length : sp).toString('latin1');
    return isValidTag(tag) ? tag : null;
  }

  private currentCommand(): string {
    const line = this.firstLine(null);
    if (!line) return '';
    const parts = line.toString('latin1').split(' ');
    return (parts[1] ?? '').toUpperCase();
  }
}

function literalAtEnd(line: Buffer): { size: number; nonSync: boolean } | null {
  if (line.length < 3 || line[line.length - 1] !== 125 /* } */) return null;
  const tail = line.subarray(Math.max(0, line.length - 20)).toString('latin1');
  const m = LITERAL_AT_END.exec(tail);
  if (!m) return null;
  // A "{5}" inside a quoted string is text, not a literal: check the quote state up to it.
  const start = line.length - m[0].length;
  let quoted = false;
  for (let i = 0; i < start; i++) {
    const c = line[i];
    if (quoted && c === 92 /* \ */) i++;
    else if (c === 34 /* " */) quoted = !quoted;
  }
  if (quoted) return null;
  return { size: Number(m[2]), nonSync: m[3] === '+' };
}
