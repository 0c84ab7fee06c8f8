// Typed access to a command's tokens. Command parsers read their arguments through an ArgReader and
// return a value or a BAD text; nothing here knows about sessions.
import { isUtf8 } from 'node:buffer';
import { decodeMailboxName } from './mutf7.js';
import { parseSequenceSet, type SequenceSet } from './sequence.js';
import type { Token } from './tokens.js';
import { MONTHS } from './response.js';

/** Thrown inside parsers only; `parseWith` turns it into a value. */
export class ArgError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; text: string; code?: string };

export function parseWith<T>(fn: () => T): Parsed<T> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof ArgError)
      return e.code ? { ok: false, text: e.message, code: e.code } : { ok: false, text: e.message };
    return { ok: false, text: 'Invalid arguments' };
  }
}

export class ArgReader {
  private i = 0;
  constructor(
    private readonly tokens: readonly Token[],
    /** Mailbox names are UTF-8, not modified UTF-7 (UTF8=ACCEPT / IMAP4rev2 enabled). */
    readonly utf8 = false,
  ) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.i];
  }

  take(): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new ArgError('Missing argument');
    return t;
  }

  end(): void {
    if (!this.done) throw new ArgError('Too many arguments');
  }

  atom(): string {
    const t = this.take();
    if (t.kind !== 'atom') throw new ArgError('Expected an atom');
    return t.value;
  }

  /** An atom that equals `word` (case-insensitive), consumed only when it matches. */
  optionalWord(word: string): boolean {
    const t = this.peek();
    if (t && t.kind === 'atom' && t.value.toUpperCase() === word) {
      this.i++;
      return true;
    }
    return false;
  }

  astring(): string {
    const t = this.take();
    if (t.kind === 'list') throw new ArgError('Expected a string');
    if (t.kind === 'atom') return t.value;
    // UTF-8 in quoted strings (UTF8=ACCEPT, IMAP4rev2): 8-bit octets that are not UTF-8 are a BAD
    // (RFC 6855 §3), not something to guess at.
    if (this.utf8 && !t.literal && !isUtf8(t.value)) throw new ArgError('Invalid UTF-8 in a quoted string');
    return t.value.toString('utf8');
  }

  /** astring as raw bytes (passwords, search strings in other charsets). */
  astringBytes(): Buffer {
    const t = this.take();
    if (t.kind === 'list') throw new ArgError('Expected a string');
    return t.kind === 'atom' ? Buffer.from(t.value, 'utf8') : t.value;
  }

  nstring(): string | null {
    const t = this.peek();
    if (t && t.kind === 'atom' && t.value.toUpperCase() === 'NIL') {
      this.i++;
      return null;
    }
    return this.astring();
  }

  number(max = 0xffffffff): number {
    const s = this.atom();
    if (!/^\d{1,20}$/.test(s)) throw new ArgError('Expected a number');
    const n = Number(s);
    if (n > max) throw new ArgError('Number too large');
    return n;
  }

  /** A 63-bit unsigned number (mod-sequence values, RFC 7162). */
  number64(): number {
    return this.number(Number.MAX_SAFE_INTEGER);
  }

  nzNumber(): number {
    const n = this.number();
    if (n === 0) throw new ArgError('Expected a non-zero number');
    return n;
  }

  list(): Token[] {
    const t = this.take();
    if (t.kind !== 'list') throw new ArgError('Expected a parenthesised list');
    return t.items;
  }

  optionalList(): Token[] | null {
    const t = this.peek();
    if (t && t.kind === 'list') {
      this.i++;
      return t.items;
    }
    return null;
  }

  /** A mailbox name, decoded to UTF-8, INBOX in any case normalised to "INBOX" (RFC 9051 §5.1). */
  mailbox(): string {
    const raw = this.astring();
    return decodeMailboxArg(raw, this.utf8);
  }

  /** LIST patterns may use * and %; decoded like mailbox names. */
  pattern(): string {
    const raw = this.astring();
    if (this.utf8) return raw;
    const dec = decodeMailboxName(raw);
    return dec ?? raw;
  }

  sequenceSet(): SequenceSet {
    const s = this.atom();
    const set = parseSequenceSet(s);
    if (!set) throw new ArgError('Invalid sequence set');
    return set;
  }

  /** A date (d-Mon-yyyy) as UTC midnight milliseconds. */
  date(): number {
    const s = this.astring();
    const d = parseImapDate(s);
    if (d === null) throw new ArgError('Invalid date');
    return d;
  }

  flagList(): string[] {
    const t = this.take();
    const items = t.kind === 'list' ? t.items : [t];
    return items.map((x) => {
      if (x.kind !== 'atom' || !isValidFlag(x.value)) throw new ArgError('Invalid flag');
      return canonicalFlag(x.value);
    });
  }
}

export function decodeMailboxArg(raw: string, utf8: boolean): string {
  let name = raw;
  if (!utf8) {
    const dec = decodeMailboxName(raw);
    // 8-bit text needs UTF8=ACCEPT (a syntax error); a malformed "&...-" is a name no folder can
    // have: NO, as for any other missing folder (Dovecot answers the same).
    if (dec === null && /[^\x00-\x7f]/.test(raw)) throw new ArgError('Invalid modified UTF-7 mailbox name');
    if (dec === null) throw new ArgError('Invalid modified UTF-7 mailbox name', 'NONEXISTENT');
    name = dec;
  }
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name.toUpperCase().startsWith('INBOX/')) return `INBOX${name.slice(5)}`;
  return name;
}

const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent'];

/** System flags are case-insensitive: store them in their RFC spelling. */
export function canonicalFlag(f: string): string {
  if (!f.startsWith('\\')) return f;
  const lower = f.toLowerCase();
  return SYSTEM_FLAGS.find((s) => s.toLowerCase() === lower) ?? f;
}

/** flag = "\Answered" / ... / flag-keyword / flag-extension (RFC 9051 §9); atom characters only. */
export function isValidFlag(f: string): boolean {
  return /^\\?[\x21\x23\x24\x26\x27\x2b-\x5a\x5e-\x7a\x7c\x7e]+$/.test(f) || /^\\?[A-Za-z0-9$_.-]+$/.test(f);
}

export function parseImapDate(s: string): number | null {
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})$/.exec(s);
  if (!m) return null;
  const mon = MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase());
  if (mon < 0) return null;
  const day = Number(m[1]);
  if (day < 1 || day > 31) return null;
  return Date.UTC(Number(m[3]), mon, day);
}

/** date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (APPEND's internal date). */
export function parseImapDateTime(s: string): number | null {
  const m = /^ ?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const mon = MONTHS.findIndex((x) => x.toLowerCase() === m[2]!.toLowerCase());
  if (mon < 0) return null;
  const [hh, mm, ss] = [Number(m[4]), Number(m[5]), Number(m[6])];
  if (hh > 23 || mm > 59 || ss > 60) return null;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * (m[7] === '-' ? -1 : 1);
  return Date.UTC(Number(m[3]), mon, Number(m[1]), hh, mm, ss) - offset * 60_000;
}
