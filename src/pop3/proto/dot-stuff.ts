// Message content in a multi-line response (RETR, TOP): every line is sent with CRLF and a line that
// starts with "." gets one more in front; the response ends with CRLF "." CRLF (RFC 1939 §3).
// Streaming: fed in any chunking, the output is the same, so a body never needs to be copied twice.

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;
const DOT_BUF = Buffer.from('.');
const LF_BUF = Buffer.from('\n');
const CRLF_BUF = Buffer.from('\r\n');
const END_BUF = Buffer.from('.\r\n');

export class DotStuffer {
  private atLineStart = true;
  /** The previous chunk ended with CR (its LF may start the next chunk). */
  private lastCR = false;

  /** Encodes a chunk; bare LF line ends become CRLF (stored messages should already be CRLF). */
  push(chunk: Uint8Array): Buffer {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const out: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      if (this.atLineStart && buf[i] === DOT) out.push(DOT_BUF);
      this.atLineStart = false;
      const lf = buf.indexOf(LF, i);
      if (lf < 0) {
        out.push(buf.subarray(i));
        this.lastCR = buf[buf.length - 1] === CR;
        break;
      }
      const hasCR = lf > i ? buf[lf - 1] === CR : this.lastCR;
      out.push(buf.subarray(i, lf), hasCR ? LF_BUF : CRLF_BUF);
      this.atLineStart = true;
      this.lastCR = false;
      i = lf + 1;
    }
    return Buffer.concat(out);
  }

  /** Closes the last line if the message did not, then the terminating ".". */
  end(): Buffer {
    const tail = this.atLineStart ? END_BUF : Buffer.concat([this.lastCR ? LF_BUF : CRLF_BUF, END_BUF]);
    this.atLineStart = true;
    this.lastCR = false;
    return tail;
  }
}

/** The whole message as a multi-line response body (after the "+OK" line). */
export function stuffMessage(raw: Uint8Array): Buffer {
  const s = new DotStuffer();
  return Buffer.concat([s.push(raw), s.end()]);
}

/**
 * TOP (RFC 1939 §7): the header, the blank line after it, then at most `lines` lines of the body.
 * A message without a blank line is all header.
 */
export function topOf(raw: Uint8Array, lines: number): Buffer {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  let i = 0;
  // Header: up to and including the first empty line.
  for (;;) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0) return buf;
    const empty = lf === i || (lf === i + 1 && buf[i] === CR);
    i = lf + 1;
    if (empty) break;
  }
  for (let n = 0; n < lines; n++) {
    const lf = buf.indexOf(LF, i);
    if (lf < 0) return buf;
    i = lf + 1;
  }
  return buf.subarray(0, i);
}
