// BODY[section] and BINARY[section] contents (RFC 9051 §6.4.5, RFC 3516 §4.2): byte ranges of the raw
// message picked out by the MIME tree, so nothing is re-encoded.
import { decodeTransferEncoding, type MimePart } from '../../mime/index.js';
import type { Section } from './fetch.js';

/** The part a section path names (RFC 9051 §6.4.5 part numbering), or null when there is none. */
export function partAt(root: MimePart, path: readonly number[]): MimePart | null {
  let cur = root;
  let first = true;
  for (const idx of path) {
    let container = cur;
    if (!first) {
      if (cur.message) container = cur.message;
      else if (cur.contentType.type !== 'multipart') return null;
    }
    first = false;
    if (container.contentType.type === 'multipart') {
      const next = container.children[idx - 1];
      if (!next) return null;
      cur = next;
    } else {
      if (idx !== 1) return null;
      cur = container;
    }
  }
  return cur;
}

const CRLF = Buffer.from('\r\n');

function headerFields(raw: Buffer, part: MimePart, names: readonly string[], not: boolean): Buffer {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const out: Buffer[] = [];
  for (const f of part.headers) {
    if (wanted.has(f.name.toLowerCase()) === not) continue;
    let bytes = raw.subarray(f.start, f.end);
    // Normalise the field's line ending so the result is well-formed CRLF text.
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === 10 || bytes[end - 1] === 13)) end--;
    bytes = bytes.subarray(0, end);
    out.push(bytes, CRLF);
  }
  out.push(CRLF);
  return Buffer.concat(out);
}

/** The bytes of a BODY[...] section; null for a part that does not exist. */
export function sectionBytes(raw: Buffer, root: MimePart, section: Section): Buffer | null {
  const part = partAt(root, section.path);
  if (!part) return null;
  const top = section.path.length === 0;
  switch (section.what) {
    case 'all':
      return top ? raw : raw.subarray(part.bodyStart, part.bodyEnd);
    case 'mime':
      return raw.subarray(part.headerStart, part.headerEnd);
    case 'header':
    case 'text':
    case 'header.fields':
    case 'header.fields.not': {
      const msg = top ? part : part.message;
      if (!msg) return Buffer.alloc(0);
      if (section.what === 'text') return raw.subarray(msg.bodyStart, msg.bodyEnd);
      if (section.what === 'header') return raw.subarray(msg.headerStart, msg.headerEnd);
      return headerFields(raw, msg, section.fields, section.what === 'header.fields.not');
    }
  }
}

/** BINARY[path]: the part's content with its transfer encoding removed; 'unknown-cte' when we cannot. */
export function binaryBytes(
  raw: Buffer,
  root: MimePart,
  path: readonly number[],
): Buffer | null | 'unknown-cte' {
  if (path.length === 0) return raw;
  const part = partAt(root, path);
  if (!part) return null;
  const body = raw.subarray(part.bodyStart, part.bodyEnd);
  const cte = part.transferEncoding;
  if (part.contentType.type === 'multipart' || part.message) return body;
  if (!['7bit', '8bit', 'binary', 'base64', 'quoted-printable', ''].includes(cte)) return 'unknown-cte';
  return Buffer.from(decodeTransferEncoding(body, cte));
}
