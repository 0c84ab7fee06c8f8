// The ManageSieve command receiver (RFC 5804 §4): fed raw bytes in any chunking, it returns one value
// at a time — a complete command, "need more", or an error — and never throws on input.
//
// Literals: RFC 5804 defines only the non-synchronizing `{N+}` form for client-to-server strings and
// no continuation response. Some clients still send `{N}`; there is nothing to wait for either way,
// so both are read the same. Memory stays bounded: a line is at most `maxLineLength` non-literal
// bytes, literals at most `maxLiteralSize` bytes in total per command. An over-long line or literal is
// read and dropped (so the stream stays in step with the client) and answered with an error; only a
// literal size we cannot even parse is fatal.
import { tokenizeLine, type Segment } from './tokenizer.js';
import type { MsCommand } from './tokens.js';

export type ReceiveResult =
  | { kind: 'command'; command: MsCommand }
  | { kind: 'needMore' }
  /** `code` is a response code (QUOTA/MAXSIZE); `fatal` ends the session with BYE. */
  | { kind: 'error'; text: string; code?: string; fatal: boolean };

export interface ReceiverOptions {
  /** Non-literal bytes of one command. */
  maxLineLength: number;
  /** Literal bytes of one command (a script is sent as one literal). */
  maxLiteralSize: number;
  /** Literals per command (PUTSCRIPT has two strings; a few more for future commands). */
  maxLiterals?: number;
}

const EMPTY = Buffer.alloc(0);
const LITERAL_AT_END = /\{(\d+)(\+?)\}$/;
/** Literal sizes with more digits than this are refused outright (>= 10^12 bytes). */
const MAX_SIZE_DIGITS = 12;
/** Enough of a line's end to recognise a literal marker while skipping an over-long line. */
const TAIL = MAX_SIZE_DIGITS + 4;

type Skip = { why: 'line' | 'literal' | 'count'; literalLeft: number };

export class ManageSieveReceiver {
  private input: Buffer = EMPTY;
  private segments: Segment[] = [];
  private lineParts: Buffer[] = [];
  private lineLen = 0;
  private commandLen = 0;
  private literalTotal = 0;
  private literal: { size: number; got: number; parts: Buffer[] } | null = null;
  /** Dropping the rest of a refused command: the reason, and literal bytes still to swallow. */
  private skip: Skip | null = null;
  private skipTail: Buffer = EMPTY;
  private continuation = false;

  constructor(private readonly opts: ReceiverOptions) {}

  push(chunk: Buffer): void {
    this.input = this.input.length === 0 ? chunk : Buffer.concat([this.input, chunk]);
  }

  /** Bytes received but not yet consumed (for backpressure). */
  get buffered(): number {
    return this.input.length;
  }

  /** The next line is a SASL client response (RFC 5804 §2.1): strings only, no command name. */
  expectContinuation(): void {
    this.continuation = true;
  }

  /** Drops everything buffered: nothing sent before STARTTLS may be used after it (RFC 5804 §2.2). */
  reset(): void {
    this.input = EMPTY;
    this.clearCommand();
    this.skip = null;
    this.skipTail = EMPTY;
    this.continuation = false;
  }

  next(): ReceiveResult {
    for (;;) {
      if (this.skip) {
        const r = this.skipping();
        if (r) return r;
        continue;
      }
      if (this.literal) {
        const lit = this.literal;
        const take = Math.min(lit.size - lit.got, this.input.length);
        if (take > 0) {
          lit.parts.push(this.input.subarray(0, take));
          this.input = this.input.subarray(take);
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
        if (this.input.length > 0) {
          this.lineParts.push(this.input);
          this.lineLen += this.input.length;
          this.input = EMPTY;
        }
        if (this.commandLen + this.lineLen > this.opts.maxLineLength) {
          this.startSkip({ why: 'line', literalLeft: 0 }, Buffer.concat(this.lineParts));
          continue;
        }
        return { kind: 'needMore' };
      }
      this.lineParts.push(this.input.subarray(0, lf));
      this.lineLen += lf;
      this.input = this.input.subarray(lf + 1);
      let line = this.lineParts.length === 1 ? this.lineParts[0]! : Buffer.concat(this.lineParts);
      this.lineParts = [];
      this.lineLen = 0;
      if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      this.commandLen += line.length;
      if (this.commandLen > this.opts.maxLineLength) {
        // The whole line is here already: only a literal announced at its end is left to drop.
        const m = LITERAL_AT_END.exec(line.subarray(Math.max(0, line.length - TAIL)).toString('latin1'));
        this.clearCommand();
        this.skip = { why: 'line', literalLeft: 0 };
        if (m) {
          if (m[1]!.length > MAX_SIZE_DIGITS) return this.fatal();
          this.skip.literalLeft = Number(m[1]);
          continue;
        }
        return this.endSkip();
      }
      const m = LITERAL_AT_END.exec(line.toString('latin1'));
      if (m) {
        if (m[1]!.length > MAX_SIZE_DIGITS) return this.fatal();
        const size = Number(m[1]);
        this.segments.push({ kind: 'line', data: line });
        const literals = this.segments.filter((s) => s.kind === 'literal').length + 1;
        if (literals > (this.opts.maxLiterals ?? 8)) {
          this.clearCommand();
          this.skip = { why: 'count', literalLeft: size };
          continue;
        }
        if (this.literalTotal + size > this.opts.maxLiteralSize) {
          this.clearCommand();
          this.skip = { why: 'literal', literalLeft: size };
          continue;
        }
        this.literalTotal += size;
        this.literal = { size, got: 0, parts: [] };
        continue;
      }
      this.segments.push({ kind: 'line', data: line });
      const segments = this.segments;
      const continuation = this.continuation;
      this.clearCommand();
      this.continuation = false;
      const r = tokenizeLine(segments, continuation);
      if (r.kind === 'error') return { kind: 'error', text: r.text, fatal: false };
      return { kind: 'command', command: r.command };
    }
  }

  private clearCommand(): void {
    this.segments = [];
    this.lineParts = [];
    this.lineLen = 0;
    this.commandLen = 0;
    this.literalTotal = 0;
    this.literal = null;
  }

  private fatal(): ReceiveResult {
    this.clearCommand();
    this.input = EMPTY;
    return { kind: 'error', text: 'Literal size out of range', fatal: true };
  }

  private startSkip(skip: Skip, tail: Buffer): void {
    this.clearCommand();
    this.skip = skip;
    this.skipTail = tail.subarray(Math.max(0, tail.length - TAIL));
  }

  /** Swallows the rest of a refused command; returns the error once its last line has gone by. */
  private skipping(): ReceiveResult | null {
    const skip = this.skip!;
    if (skip.literalLeft > 0) {
      const take = Math.min(skip.literalLeft, this.input.length);
      this.input = this.input.subarray(take);
      skip.literalLeft -= take;
      if (skip.literalLeft > 0) return { kind: 'needMore' };
      this.skipTail = EMPTY;
    }
    const lf = this.input.indexOf(10);
    if (lf < 0) {
      const both = Buffer.concat([this.skipTail, this.input]);
      this.skipTail = both.subarray(Math.max(0, both.length - TAIL));
      this.input = EMPTY;
      return { kind: 'needMore' };
    }
    let end = Buffer.concat([this.skipTail, this.input.subarray(0, lf)]);
    this.input = this.input.subarray(lf + 1);
    this.skipTail = EMPTY;
    if (end.length > 0 && end[end.length - 1] === 13) end = end.subarray(0, end.length - 1);
    const m = LITERAL_AT_END.exec(end.subarray(Math.max(0, end.length - TAIL)).toString('latin1'));
    if (m) {
      if (m[1]!.length > MAX_SIZE_DIGITS) return this.fatal();
      skip.literalLeft = Number(m[1]);
      return null;
    }
    return this.endSkip();
  }

  private endSkip(): ReceiveResult {
    const why = this.skip!.why;
    this.skip = null;
    this.continuation = false;
    if (why === 'literal')
      return {
        kind: 'error',
        code: 'QUOTA/MAXSIZE',
        text: `String too large (at most ${this.opts.maxLiteralSize} bytes)`,
        fatal: false,
      };
    if (why === 'count') return { kind: 'error', text: 'Too many literals in one command', fatal: false };
    return {
      kind: 'error',
      text: `Command line too long (at most ${this.opts.maxLineLength} bytes)`,
      fatal: false,
    };
  }
}
