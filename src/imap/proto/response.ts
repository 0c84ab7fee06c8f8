// Response serialisation helpers (RFC 9051 §7): strings as atoms, quoted strings or literals, whichever
// the content allows, flags and lists. Everything returns strings or Buffers; the session writes them.

/** A piece of a response: text, or raw bytes sent as a literal's data. */
export type Chunk = string | Buffer;

const QUOTABLE_ASCII = /^[\x20-\x7e]*$/;
const QUOTABLE_UTF8 = /^[^\x00\r\n]*$/u;

/** A string value: quoted when possible, otherwise a literal (returns chunks because of raw bytes). */
export function str(s: string, utf8 = false): string {
  if (s.length <= 1024 && (QUOTABLE_ASCII.test(s) || (utf8 && QUOTABLE_UTF8.test(s)))) return quote(s);
  const bytes = Buffer.byteLength(s, 'utf8');
  return `{${bytes}}\r\n${s}`;
}

export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (m) => `\\${m}`)}"`;
}

export function nstr(s: string | null | undefined, utf8 = false): string {
  return s === null || s === undefined ? 'NIL' : str(s, utf8);
}

/** An astring: a bare atom when that is unambiguous, else a string. */
export function astr(s: string, utf8 = false): string {
  if (/^[\x21\x23\x24\x26\x27\x2b-\x5b\x5d-\x7a\x7c-\x7e]+$/.test(s) && s.toUpperCase() !== 'NIL') return s;
  return str(s, utf8);
}

/** A literal header for `len` bytes; the caller writes the bytes next. */
export function literalHeader(len: number, binary = false): string {
  return binary ? `~{${len}}\r\n` : `{${len}}\r\n`;
}

export function flagList(flags: readonly string[]): string {
  return `(${flags.join(' ')})`;
}

/** IMAP date-time (RFC 9051 §9 date-time), always in UTC. */
export function formatInternalDate(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const mon = MONTHS[d.getUTCMonth()]!;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `"${day}-${mon}-${d.getUTCFullYear()} ${hh}:${mm}:${ss} +0000"`;
}

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
