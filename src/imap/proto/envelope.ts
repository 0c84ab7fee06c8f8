// ENVELOPE (RFC 9051 §7.5.2): the address structure of a message header, as IMAP clients list mail.
import {
  encodeHeaderValue,
  getFirstValue,
  parseAddressList,
  type HeaderField,
  type MailboxAddress,
} from '../../mime/index.js';
import { nstr } from './response.js';

/** Source routes of the angle addresses in a header value, in order ("@a,@b" or null; RFC 5322 obs-route). */
function routes(value: string): Array<string | null> {
  const out: Array<string | null> = [];
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') i++;
    else if (quoted) quoted = c !== '"';
    else if (c === '"' && depth === 0) quoted = true;
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (c === '<' && depth === 0) {
      const m = /^<\s*(@[^:<>]*):/.exec(value.slice(i));
      out.push(m ? m[1]!.replace(/\s+/g, '') : null);
    }
  }
  return out;
}

function addr(a: MailboxAddress, utf8: boolean, route: string | null = null): string {
  const name = a.name ? (utf8 ? a.name : encodeHeaderValue(a.name)) : null;
  // Dovecot's spelling for the missing halves of a broken address, so clients never see group syntax by accident.
  const mailbox = a.local || 'MISSING_MAILBOX';
  const host = a.domain || 'MISSING_DOMAIN';
  return `(${nstr(name, utf8)} ${nstr(route, utf8)} ${nstr(mailbox, utf8)} ${nstr(host, utf8)})`;
}

function addressList(value: string | undefined, utf8: boolean): string {
  if (value === undefined) return 'NIL';
  const items = parseAddressList(value);
  const out: string[] = [];
  // Pair routes with mailboxes only when every mailbox has its own angle address.
  const rs = value.includes('<@') ? routes(value) : [];
  const count = items.reduce((n, it) => n + (it.kind === 'group' ? it.members.length : 1), 0);
  let k = 0;
  const nextRoute = () => (rs.length === count ? (rs[k++] ?? null) : null);
  for (const it of items) {
    if (it.kind === 'group') {
      // Group syntax (RFC 9051 §7.5.2): a start marker with the group name, the members, an end marker.
      out.push(`(NIL NIL ${nstr(utf8 ? it.name : encodeHeaderValue(it.name), utf8)} NIL)`);
      for (const m of it.members) out.push(addr(m, utf8, nextRoute()));
      out.push('(NIL NIL NIL NIL)');
    } else {
      const route = nextRoute();
      if (it.local || it.domain || it.name) out.push(addr(it, utf8, route));
    }
  }
  return out.length ? `(${out.join('')})` : 'NIL';
}

/**
 * Header text for a client that has not enabled UTF-8: raw UTF-8 (RFC 6532 headers) goes out as encoded
 * words, so a legacy client still gets RFC 5322 text (RFC 6855 §7); UTF-8 clients get it as it is.
 */
function text(value: string | undefined, utf8: boolean): string | null {
  if (value === undefined) return null;
  return utf8 || !/[^\x00-\x7f]/.test(value) ? value : encodeHeaderValue(value);
}

export function formatEnvelope(headers: readonly HeaderField[], utf8 = false): string {
  const get = (n: string) => getFirstValue(headers, n);
  const from = get('from');
  // An empty or unparsable Sender / Reply-To falls back to From too (RFC 9051 §7.5.2; Dovecot does so).
  const hasAddress = (v: string | undefined) => v !== undefined && addressList(v, utf8) !== 'NIL';
  const sender = hasAddress(get('sender')) ? get('sender') : from;
  const replyTo = hasAddress(get('reply-to')) ? get('reply-to') : from;
  const parts = [
    nstr(get('date') ?? null, utf8),
    nstr(text(get('subject'), utf8), utf8),
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
