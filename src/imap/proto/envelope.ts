// ENVELOPE (RFC 9051 §7.5.2): the address structure of a message header, as IMAP clients list mail.
import {
  encodeHeaderValue,
  getFirstValue,
  parseAddressList,
  type HeaderField,
  type MailboxAddress,
} from '../../mime/index.js';
import { nstr } from './response.js';

function addr(a: MailboxAddress, utf8: boolean): string {
  const name = a.name ? (utf8 ? a.name : encodeHeaderValue(a.name)) : null;
  // Dovecot's spelling for the missing halves of a broken address, so clients never see group syntax by accident.
  const mailbox = a.local || 'MISSING_MAILBOX';
  const host = a.domain || 'MISSING_DOMAIN';
  return `(${nstr(name, utf8)} NIL ${nstr(mailbox, utf8)} ${nstr(host, utf8)})`;
}

function addressList(value: string | undefined, utf8: boolean): string {
  if (value === undefined) return 'NIL';
  const items = parseAddressList(value);
  const out: string[] = [];
  for (const it of items) {
    if (it.kind === 'group') {
      // Group syntax (RFC 9051 §7.5.2): a start marker with the group name, the members, an end marker.
      out.push(`(NIL NIL ${nstr(utf8 ? it.name : encodeHeaderValue(it.name), utf8)} NIL)`);
      for (const m of it.members) out.push(addr(m, utf8));
      out.push('(NIL NIL NIL NIL)');
    } else if (it.local || it.domain || it.name) out.push(addr(it, utf8));
  }
  return out.length ? `(${out.join('')})` : 'NIL';
}

export function formatEnvelope(headers: readonly HeaderField[], utf8 = false): string {
  const get = (n: string) => getFirstValue(headers, n);
  const from = get('from');
  const sender = get('sender') ?? from;
  const replyTo = get('reply-to') ?? from;
  const parts = [
    nstr(get('date') ?? null, utf8),
    nstr(get('subject') ?? null, utf8),
    addressList(from, utf8),
    addressList(sender, utf8),
    addressList(replyTo, utf8),
    addressList(get('to'), utf8),
    addressList(get('cc'), utf8),
    addressList(get('bcc'), utf8),
    nstr(get('in-reply-to') ?? null, utf8),
    nstr(get('message-id') ?? null, utf8),
  ];
  return `(${parts.join(' ')})`;
}
