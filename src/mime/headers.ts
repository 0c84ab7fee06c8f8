/**
 * Header-section parsing (RFC 5322 §2.2). Works on raw bytes and keeps byte offsets,
 * so IMAP can serve BODY[HEADER] and friends straight from the raw message.
 */
import { decodeUnknown } from './charsets.js';

export interface HeaderField {
  /** Field name as written (case preserved). */
  readonly name: string;
  /** Value with folding removed (CRLF + WSP → WSP) and the leading whitespace after the colon dropped. */
  readonly value: string;
  /** The field exactly as in the message, name and folding included, without the final line break. */
  readonly raw: string;
  /** Byte offset of the first byte of the field in the raw message. */
  readonly start: number;
  /** Byte offset just past the field's final line break. */
  readonly end: number;
}

export interface HeaderSection {
  readonly fields: HeaderField[];
  /** Offset of the header section's first byte. */
  readonly start: number;
  /** Offset just past the blank line that ends the section (equals `bodyStart`). */
  readonly end: number;
  /** Offset of the first body byte. */
  readonly bodyStart: number;
  /** True when the section ran into `limit` without a blank line. */
  readonly truncated: boolean;
}

export interface HeaderParseOptions {
  /** Fields longer than this are cut (but still recorded); guards against huge headers. */
  readonly maxFieldLength?: number;
  /** At most this many fields are recorded. */
  readonly maxFields?: number;
}

/** Remove folding: every CRLF/LF followed by whitespace becomes that whitespace. */
export function unfold(value: string): string {
  // Same as value.replace(/\r?\n(?=[ \t])/g, '').replace(/\r?\n$/, ''), without the regex
  // machinery: every header of every message is unfolded.
  let nl = value.indexOf('\n');
  if (nl < 0) return value;
  let out = '';
  let from = 0;
  for (; nl >= 0; nl = value.indexOf('\n', nl + 1)) {
    const next = value.charCodeAt(nl + 1);
    if (next !== 32 && next !== 9) continue;
    const cut = nl > from && value.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    out += value.slice(from, cut);
    from = nl + 1;
  }
  out += value.slice(from);
  return withoutFinalNewline(out);
}

const NON_ASCII = /[^\x00-\x7f]/;

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** `s.replace(/\r?\n$/, '')` without a regex. */
function withoutFinalNewline(s: string): string {
  if (!s.endsWith('\n')) return s;
  return s.slice(0, s.length > 1 && s.charCodeAt(s.length - 2) === 13 ? -2 : -1);
}

/** `s.replace(/[ \t]+$/, '')` without a regex. */
function trimEndWsp(s: string): string {
  let e = s.length;
  while (e > 0 && (s.charCodeAt(e - 1) === 32 || s.charCodeAt(e - 1) === 9)) e--;
  return e === s.length ? s : s.slice(0, e);
}

/** `s.replace(/^[ \t]+/, '')` without a regex. */
function trimStartWsp(s: string): string {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i === 0 ? s : s.slice(i);
}

function lineEnd(buf: Uint8Array, pos: number, limit: number): number {
  const i = buf.indexOf(10, pos);
  return i < 0 || i >= limit ? limit : i + 1;
}

/**
 * Parse the header section that starts at `start`. A line without a colon that is not a
 * continuation is kept as a nameless field would be useless, so it is skipped, as
 * Dovecot does; the section ends at the first empty line or at `limit`.
 */
export function parseHeaderSection(
  buf: Uint8Array,
  start = 0,
  limit = buf.length,
  options: HeaderParseOptions = {},
): HeaderSection {
  const maxLen = options.maxFieldLength ?? 1 << 20;
  const maxFields = options.maxFields ?? 10000;
  // Field byte ranges first; the strings are cut from one Latin-1 decode of the whole section.
  const ranges: number[] = [];
  let pos = start;
  let fieldStart = -1;
  const finish = (endPos: number): void => {
    if (fieldStart >= 0 && ranges.length < 2 * maxFields) ranges.push(fieldStart, endPos);
    fieldStart = -1;
  };
  const done = (end: number, truncated: boolean): HeaderSection => {
    const fields = makeFields(buf, start, end, ranges, maxLen);
    return { fields, start, end, bodyStart: end, truncated };
  };
  while (pos < limit) {
    const c = buf[pos]!;
    const next = lineEnd(buf, pos, limit);
    if (c === 10 || (c === 13 && buf[pos + 1] === 10)) {
      finish(pos);
      return done(next, false);
    }
    if (c === 32 || c === 9) {
      // Continuation; a stray one before any field is ignored.
      pos = next;
      continue;
    }
    finish(pos);
    // The colon must be on this line; searching only the line keeps a long run of colon-less
    // lines linear.
    let colon = pos;
    while (colon < next && buf[colon] !== 58) colon++;
    if (colon < next) fieldStart = pos;
    pos = next;
  }
  finish(limit);
  return done(limit, true);
}

function makeFields(
  buf: Uint8Array,
  start: number,
  end: number,
  ranges: readonly number[],
  maxLen: number,
): HeaderField[] {
  const fields: HeaderField[] = [];
  if (ranges.length === 0) return fields;
  // Most header sections are ASCII, where Latin-1 and UTF-8 read the same: one native Latin-1
  // decode then serves every field; a field with 8-bit bytes goes through decodeUnknown.
  const text = latin1(buf.subarray(start, end));
  const ascii = !NON_ASCII.test(text);
  for (let i = 0; i < ranges.length; i += 2) {
    const fieldStart = ranges[i]!;
    const endPos = ranges[i + 1]!;
    const cut = Math.min(endPos, fieldStart + maxLen);
    let raw = text.slice(fieldStart - start, cut - start);
    if (!ascii && NON_ASCII.test(raw)) raw = decodeUnknown(buf.subarray(fieldStart, cut));
    raw = withoutFinalNewline(raw);
    const colon = raw.indexOf(':');
    const name = trimEndWsp(raw.slice(0, colon));
    const value = trimStartWsp(unfold(raw.slice(colon + 1)));
    fields.push({ name, value, raw, start: fieldStart, end: endPos });
  }
  return fields;
}

/** Case-insensitive lookup helpers over a field list. */
export function getFields(fields: readonly HeaderField[], name: string): HeaderField[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower);
}

export function getFirstValue(fields: readonly HeaderField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower)?.value;
}
