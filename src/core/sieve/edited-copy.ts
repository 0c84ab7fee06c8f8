// The stored copy after editheader: the script's final header list over the original body. Fields
// the script left alone are written back byte for byte from the original (8-bit and odd folding
// survive); added fields are written as UTF-8 with CRLF line ends.
import type { DeliveryCopy, SieveMessage } from '../../sieve/index.js';

type Headers = NonNullable<DeliveryCopy['headers']>;

export function editedCopy(message: SieveMessage, headers: Headers): Buffer {
  const raw = Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength);
  // Original fields by their text, in order, so each original occurrence is reused once.
  const originals = new Map<string, { start: number; end: number }[]>();
  for (const f of message.root.headers) {
    const list = originals.get(f.raw) ?? [];
    list.push({ start: f.start, end: f.end });
    originals.set(f.raw, list);
  }
  const parts: Buffer[] = [];
  for (const h of headers) {
    const orig = originals.get(h.raw)?.shift();
    if (orig) {
      const bytes = raw.subarray(orig.start, orig.end);
      parts.push(bytes);
      // The last original field may end without a line break when the message has no body.
      if (bytes[bytes.length - 1] !== 0x0a) parts.push(Buffer.from('\r\n'));
    } else parts.push(Buffer.from(`${h.raw.replace(/\r?\n/g, '\r\n')}\r\n`, 'utf8'));
  }
  parts.push(Buffer.from('\r\n'), raw.subarray(message.root.headerEnd));
  return Buffer.concat(parts);
}
