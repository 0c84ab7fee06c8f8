// Splits the client's byte stream into CRLF-terminated lines, with a length bound checked on every
// call, so a peer cannot make us buffer an endless line. POP3 commands are single lines (RFC 1939 §3);
// there are no literals, so this is the whole receiver.

export type LineResult =
  | { kind: 'line'; line: string }
  | { kind: 'needMore' }
  /** The line went past `maxLength`; its bytes (through the CRLF) are dropped, then reading goes on. */
  | { kind: 'tooLong' };

const LF = 0x0a;
const CR = 0x0d;

export class Pop3LineReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Inside an over-long line: drop bytes up to and including its LF. */
  private discarding = false;

  /** Bytes held and not yet returned as lines. */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    this.size += chunk.length;
  }

  /** Forgets everything buffered: after STLS, bytes sent in the clear are never obeyed (RFC 2595 §4). */
  reset(): void {
    this.chunks = [];
    this.size = 0;
    this.discarding = false;
  }

  /**
   * The next line without its line ending, or needMore/tooLong. `maxLength` counts the line's bytes
   * including the CRLF (RFC 2449 §4 bounds commands at 255 octets that way). A bare LF ends a line
   * too: lenient towards clients that forget the CR. Lines are decoded as UTF-8 (RFC 6856 allows
   * UTF-8 user names; everything else is ASCII).
   */
  next(maxLength: number): LineResult {
    for (;;) {
      const buf = this.joined();
      const lf = buf.indexOf(LF);
      if (this.discarding) {
        if (lf < 0) {
          this.take(buf.length);
          return { kind: 'needMore' };
        }
        this.take(lf + 1);
        this.discarding = false;
        return { kind: 'tooLong' };
      }
      if (lf < 0) {
        // No LF yet, but maxLength bytes already: with its LF still to come the line is too long.
        if (buf.length >= maxLength) {
          this.take(buf.length);
          this.discarding = true;
          continue;
        }
        return { kind: 'needMore' };
      }
      if (lf + 1 > maxLength) {
        this.take(lf + 1);
        return { kind: 'tooLong' };
      }
      const end = lf > 0 && buf[lf - 1] === CR ? lf - 1 : lf;
      const line = buf.subarray(0, end).toString('utf8');
      this.take(lf + 1);
      return { kind: 'line', line };
    }
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private take(n: number): void {
    const buf = this.joined();
    const rest = buf.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.size = rest.length;
  }
}
