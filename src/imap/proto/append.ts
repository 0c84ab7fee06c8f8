// APPEND arguments (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502) and BINARY literal8 (RFC 3516 §4.4).
import { ArgError, ArgReader, parseImapDateTime } from './args.js';
import type { Token } from './tokens.js';

export interface AppendMessage {
  flags: string[];
  internalDate: number | null;
  data: Buffer;
  binary: boolean;
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
    const lit = r.take();
    if (lit.kind !== 'string' || !lit.literal) throw new ArgError('Expected the message as a literal');
    if (flags.includes('\\Recent')) throw new ArgError('\\Recent cannot be stored');
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
