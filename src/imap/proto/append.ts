// APPEND arguments (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), BINARY literal8 (RFC 3516 §4.4),
// CATENATE (RFC 4469 §5: the message built from TEXT literals and URLs of stored messages) and
// UTF8=ACCEPT's "UTF8 (literal8)" message data (RFC 6855 §4).
import { ArgError, ArgReader, parseImapDateTime } from './args.js';
import type { Token } from './tokens.js';

/** One piece of a CATENATE message: literal text, or an IMAP URL to a stored message or part. */
export type CatenatePart =
  { kind: 'text'; data: Buffer; binary: boolean; utf8?: boolean } | { kind: 'url'; url: string };

export interface AppendMessage {
  flags: string[];
  internalDate: number | null;
  /** The literal; empty for a CATENATE message (see `catenate`). */
  data: Buffer;
  binary: boolean;
  catenate?: CatenatePart[];
  /** Sent as "UTF8 (~{n})" (RFC 6855 §4): a message with UTF-8 headers. */
  utf8?: boolean;
}

/** "UTF8" SP "(" literal8 ")" (RFC 6855 §4); a plain literal is taken too. */
function utf8Literal(r: ArgReader): Buffer {
  const inner = new ArgReader(r.list());
  const lit = inner.take();
  inner.end();
  if (lit.kind !== 'string' || !lit.literal) throw new ArgError('UTF8 needs a literal');
  return lit.value;
}

function parseCatenate(items: readonly Token[]): CatenatePart[] {
  const r = new ArgReader(items);
  const parts: CatenatePart[] = [];
  while (!r.done) {
    const kind = r.atom().toUpperCase();
    if (kind === 'URL') parts.push({ kind: 'url', url: r.astring() });
    else if (kind === 'TEXT') {
      const lit = r.take();
      if (lit.kind !== 'string' || !lit.literal) throw new ArgError('CATENATE TEXT needs a literal');
      parts.push({ kind: 'text', data: lit.value, binary: lit.literal8 === true });
    } else if (kind === 'UTF8') {
      parts.push({ kind: 'text', data: utf8Literal(r), binary: false, utf8: true });
    } else throw new ArgError('CATENATE takes TEXT and URL parts');
  }
  if (parts.length === 0) throw new ArgError('Empty CATENATE');
  return parts;
}

export interface AppendArgs {
  mailbox: string;
  messages: AppendMessage[];
}

export function parseAppend(tokens: readonly Token[], utf8: boolean): AppendArgs {
  const r = new ArgReader(tokens, utf8);
  const mailbox = r.mailbox();
  const messages: AppendMessage[] = [];
  while (!r.done) {
    let flags: string[] = [];
    let internalDate: number | null = null;
    if (r.peek()?.kind === 'list') flags = r.flagList();
    const t = r.peek();
    if (t && t.kind === 'string' && !t.literal) {
      r.take();
      internalDate = parseImapDateTime(t.value.toString('latin1'));
      if (internalDate === null) throw new ArgError('Invalid date-time');
    }
    if (flags.includes('\\Recent')) throw new ArgError('\\Recent cannot be stored');
    if (r.optionalWord('CATENATE')) {
      const catenate = parseCatenate(r.list());
      messages.push({
        flags: [...new Set(flags)],
        internalDate,
        data: Buffer.alloc(0),
        binary: false,
        catenate,
      });
      continue;
    }
    if (r.optionalWord('UTF8')) {
      // literal8 here only lets 8-bit header text through; it is not BINARY content (no NULs).
      messages.push({
        flags: [...new Set(flags)],
        internalDate,
        data: utf8Literal(r),
        binary: false,
        utf8: true,
      });
      continue;
    }
    const lit = r.take();
    if (lit.kind !== 'string' || !lit.literal) throw new ArgError('Expected the message as a literal');
    messages.push({
      flags: [...new Set(flags)],
      internalDate,
      data: lit.value,
      binary: lit.literal8 === true,
    });
  }
  if (messages.length === 0) throw new ArgError('Missing message');
  return { mailbox, messages };
}
