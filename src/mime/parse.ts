/**
 * MIME structure parser (RFC 2045/2046). Buffer in, tree of byte ranges out: nothing is
 * copied or decoded until asked for, so the same tree serves Sieve (body/mime tests)
 * and IMAP (BODYSTRUCTURE, BODY[n.MIME], partial fetches).
 *
 * Malformed input never throws: a missing closing boundary ends the part at the end of
 * its parent, an unknown Content-Type becomes text/plain, and nesting deeper than
 * `maxDepth` is treated as an opaque leaf.
 */
import { getFirstValue, parseHeaderSection, type HeaderField, type HeaderParseOptions } from './headers.js';
import { decodeCharset } from './charsets.js';
import { decodeTransferEncoding } from './transfer-encoding.js';
import {
  parseContentDisposition,
  parseContentType,
  type ContentDisposition,
  type ContentType,
} from './params.js';

export interface MimePart {
  /** Dotted IMAP part number ("" for the message itself, "1", "1.2", …). */
  readonly partNumber: string;
  readonly headers: HeaderField[];
  /** Byte range of the header section, including the blank separator line. */
  readonly headerStart: number;
  readonly headerEnd: number;
  /** Byte range of the body (for multiparts: preamble through epilogue). */
  readonly bodyStart: number;
  readonly bodyEnd: number;
  readonly contentType: ContentType;
  /** Whether Content-Type was present in the part's own header. */
  readonly hasContentType: boolean;
  readonly disposition?: ContentDisposition;
  /** Lower-case Content-Transfer-Encoding, default "7bit". */
  readonly transferEncoding: string;
  /** For multiparts: the boundary (undefined when the boundary parameter is missing). */
  readonly boundary?: string;
  /** Multipart children, in order. */
  readonly children: MimePart[];
  /** For message/rfc822 (and message/global): the encapsulated message. */
  readonly message?: MimePart;
  /** For multiparts: true when the closing delimiter was not found. */
  readonly missingCloseDelimiter?: boolean;
  /** Number of lines in the body (for IMAP BODYSTRUCTURE of text parts). */
  readonly bodyLines: number;
}

export interface MimeParseOptions extends HeaderParseOptions {
  /** Nesting deeper than this is not parsed further (default 50). */
  readonly maxDepth?: number;
  /** At most this many parts are created (default 10000). */
  readonly maxParts?: number;
}

interface Ctx {
  buf: Uint8Array;
  opts: MimeParseOptions;
  parts: number;
}

// indexOf is a native memchr: counting a 40 kB base64 attachment this way is several times
// faster than a byte loop in JS, and every part of every parsed message is counted.
function countLines(buf: Uint8Array, start: number, end: number): number {
  // A view bounds the search at `end` (not at the next line feed after it).
  const body = buf.subarray(start, end);
  let n = 0;
  for (let i = body.indexOf(10); i >= 0; i = body.indexOf(10, i + 1)) n++;
  if (end > start && buf[end - 1] !== 10) n++;
  return n;
}

function startsWithAt(buf: Uint8Array, pos: number, s: Uint8Array): boolean {
  if (pos + s.length > buf.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[pos + i] !== s[i]) return false;
  return true;
}

const LF_DASH_DASH = Buffer.from('\n--', 'latin1');

/** Find delimiter lines "--boundary" in [start, end); stops at a parent's delimiter. */
function splitMultipart(
  ctx: Ctx,
  start: number,
  end: number,
  boundary: string,
  outer: readonly Uint8Array[],
): { ranges: [number, number][]; closed: boolean; closeEnd: number } {
  const buf = ctx.buf;
  const delim = Buffer.from(`--${boundary}`, 'latin1');
  const ranges: [number, number][] = [];
  let partStart = -1;
  // Only lines that start with "--" can be delimiters: jump from one to the next with a native
  // search for LF "--" instead of visiting every line (a base64 attachment has hundreds).
  // Bounded one byte past `end` (a "--" may start on the last byte of the part), so searches
  // never run on through the rest of the message.
  const search = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, end + 1));
  const nextCandidate = (from: number): number => {
    const lf = search.indexOf(LF_DASH_DASH, from);
    return lf < 0 || lf + 1 >= end ? end : lf + 1;
  };
  let pos = buf[start] === 45 && buf[start + 1] === 45 ? start : nextCandidate(start);
  while (pos < end) {
    let eol = buf.indexOf(10, pos);
    if (eol < 0 || eol >= end) eol = end;
    else eol += 1;
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    const prevEnd = pos > start && buf[pos - 1] === 10 ? (buf[pos - 2] === 13 ? pos - 2 : pos - 1) : pos;
    if (startsWithAt(buf, pos, delim)) {
      const after = pos + delim.length;
      const isClose = buf[after] === 45 && buf[after + 1] === 45;
      if (partStart >= 0) ranges.push([partStart, Math.max(partStart, prevEnd)]);
      if (isClose) return { ranges, closed: true, closeEnd: eol };
      partStart = eol;
    } else if (outer.some((o) => startsWithAt(buf, pos, o))) {
      if (partStart >= 0) ranges.push([partStart, Math.max(partStart, prevEnd)]);
      return { ranges, closed: false, closeEnd: prevEnd };
    }
    pos = eol >= end ? end : nextCandidate(eol - 1);
  }
  if (partStart >= 0) ranges.push([partStart, end]);
  return { ranges, closed: false, closeEnd: end };
}

function parsePart(
  ctx: Ctx,
  start: number,
  end: number,
  partNumber: string,
  defaultType: string,
  depth: number,
  outer: readonly Uint8Array[],
): MimePart {
  ctx.parts++;
  const section = parseHeaderSection(ctx.buf, start, end, ctx.opts);
  const ctValue = getFirstValue(section.fields, 'content-type');
  const contentType = parseContentType(ctValue, defaultType);
  const dispValue = getFirstValue(section.fields, 'content-disposition');
  const disposition = parseContentDisposition(dispValue);
  const transferEncoding = (getFirstValue(section.fields, 'content-transfer-encoding') ?? '7bit')
    .trim()
    .toLowerCase();
  const bodyStart = section.bodyStart;
  const base = {
    partNumber,
    headers: section.fields,
    headerStart: start,
    headerEnd: section.end,
    bodyStart,
    bodyEnd: end,
    contentType,
    hasContentType: ctValue !== undefined,
    transferEncoding,
    bodyLines: countLines(ctx.buf, bodyStart, end),
    ...(disposition ? { disposition } : {}),
  };
  const maxDepth = ctx.opts.maxDepth ?? 50;
  const maxParts = ctx.opts.maxParts ?? 10000;
  if (depth >= maxDepth || ctx.parts >= maxParts) return { ...base, children: [] };
  const prefix = partNumber ? `${partNumber}.` : '';
  if (contentType.type === 'multipart') {
    const boundary = contentType.params['boundary'];
    // An empty boundary parameter still delimits (lines of just "--"), as in Dovecot's parser.
    if (boundary === undefined) return { ...base, children: [] };
    const split = splitMultipart(ctx, bodyStart, end, boundary, outer);
    const inner = [...outer, Buffer.from(`--${boundary}`, 'latin1')];
    const childType = contentType.subtype === 'digest' ? 'message/rfc822' : 'text/plain';
    const children = split.ranges.map(([s, e], i) =>
      parsePart(ctx, s, e, `${prefix}${i + 1}`, childType, depth + 1, inner),
    );
    return { ...base, boundary, children, missingCloseDelimiter: !split.closed };
  }
  if (
    contentType.type === 'message' &&
    (contentType.subtype === 'rfc822' || contentType.subtype === 'global') &&
    !['base64', 'quoted-printable'].includes(transferEncoding)
  ) {
    // An encapsulated message's parts are numbered under this part (IMAP rules).
    const message = parsePart(ctx, bodyStart, end, partNumber || '1', 'text/plain', depth + 1, outer);
    return { ...base, children: [], message };
  }
  return { ...base, children: [] };
}

/** Parse a complete message. Offsets in the result index into `raw`. */
export function parseMessage(raw: Uint8Array, options: MimeParseOptions = {}): MimePart {
  return parsePart({ buf: raw, opts: options, parts: 0 }, 0, raw.length, '', 'text/plain', 0, []);
}

/** The raw (still transfer-encoded) body bytes of a part. */
export function rawBody(raw: Uint8Array, part: MimePart): Uint8Array {
  return raw.subarray(part.bodyStart, part.bodyEnd);
}

/** The body with Content-Transfer-Encoding removed. */
export function decodedBody(raw: Uint8Array, part: MimePart): Uint8Array {
  return decodeTransferEncoding(rawBody(raw, part), part.transferEncoding);
}

/** The body decoded to text using the part's charset parameter. */
export function bodyText(raw: Uint8Array, part: MimePart): string {
  return decodeCharset(decodedBody(raw, part), part.contentType.params['charset']);
}

/** Depth-first list of a part and all its descendants (encapsulated messages included). */
export function walkParts(part: MimePart): MimePart[] {
  const out: MimePart[] = [part];
  for (const c of part.children) out.push(...walkParts(c));
  if (part.message) out.push(...walkParts(part.message));
  return out;
}
