/**
 * Makes a message APPENDed as literal8 (RFC 3516 §4.4) safe to store and serve: every leaf part whose
 * body holds a NUL or whose Content-Transfer-Encoding is "binary" is re-encoded as base64, so BODY[]
 * never has to put a NUL in a literal (RFC 9051 §4.3) while BINARY[] still decodes to the same bytes.
 */
import { parseMessage, walkParts, type MimePart } from './parse.js';

const CRLF = Buffer.from('\r\n');

function needsEncoding(raw: Buffer, part: MimePart): boolean {
  if (part.children.length > 0 || part.message) return false;
  if (part.transferEncoding === 'binary') return true;
  return raw.subarray(part.bodyStart, part.bodyEnd).includes(0);
}

function base64Lines(data: Buffer): Buffer {
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

interface Edit {
  start: number;
  end: number;
  data: Buffer;
}

/** The message with binary leaf parts base64-encoded; the input itself when nothing needs it. */
export function encodeBinaryParts(raw: Buffer): Buffer {
  const root = parseMessage(raw);
  const edits: Edit[] = [];
  for (const part of walkParts(root)) {
    if (!needsEncoding(raw, part)) continue;
    const cte = part.headers.find((h) => h.name.toLowerCase() === 'content-transfer-encoding');
    const field = Buffer.from('Content-Transfer-Encoding: base64\r\n', 'latin1');
    if (cte) edits.push({ start: cte.start, end: cte.end, data: field });
    else {
      // Before the blank line that ends the header (or at its end when there is none).
      const blank = raw.subarray(part.headerStart, part.headerEnd);
      const at =
        blank.length >= 2 && blank[blank.length - 2] === 13 ? part.headerEnd - 2 : part.headerEnd - 1;
      edits.push({ start: Math.max(part.headerStart, at), end: Math.max(part.headerStart, at), data: field });
    }
    const body = raw.subarray(part.bodyStart, part.bodyEnd);
    const top = part.bodyEnd === raw.length;
    edits.push({
      start: part.bodyStart,
      end: part.bodyEnd,
      data: top ? Buffer.concat([base64Lines(body), CRLF]) : base64Lines(body),
    });
  }
  if (edits.length === 0) return raw;
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Buffer[] = [];
  let pos = 0;
  for (const e of edits) {
    if (e.start < pos) continue;
    out.push(raw.subarray(pos, e.start), e.data);
    pos = e.end;
  }
  out.push(raw.subarray(pos));
  return Buffer.concat(out);
}
