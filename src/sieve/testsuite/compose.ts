/**
 * Outgoing messages the testsuite's simulated SMTP captures: redirected copies, vacation
 * replies, notification mails and reject MDNs. Shaped like Pigeonhole's so the suite's
 * checks on headers and envelopes see what they expect.
 */
import { encodeHeaderValue, flattenAddresses, parseAddressList } from '../../mime/index.js';
import type { NotifyAction, VacationAction } from '../types.js';
import { limitSubject } from '../extensions/vacation.js';

export interface OutgoingMessage {
  readonly from: string;
  readonly to: string;
  readonly raw: Uint8Array;
}

let counter = 0;
const msgId = (): string => `<mailstead-sieve-${Date.now()}-${++counter}@localhost>`;
const date = (): string => new Date().toUTCString().replace('GMT', '+0000');

function build(headers: [string, string][], body: string): Uint8Array {
  const h = headers.map(([n, v]) => `${n}: ${v}\r\n`).join('');
  return Buffer.from(`${h}\r\n${body}`, 'utf8');
}

/** The original's From field when it names the envelope sender, else the bare address. */
function replyTo(
  originalHeaders: readonly { name: string; value: string }[],
  sender: string,
  ignoreEnvelope: boolean,
): string {
  if (ignoreEnvelope) {
    for (const n of ['sender', 'from']) {
      const h = originalHeaders.find((x) => x.name.toLowerCase() === n);
      if (h) return h.value;
    }
  }
  for (const h of originalHeaders) {
    if (!['from', 'sender', 'reply-to', 'resent-from', 'resent-sender'].includes(h.name.toLowerCase()))
      continue;
    const addrs = flattenAddresses(parseAddressList(h.value));
    if (addrs.some((a) => a.valid && a.address.toLowerCase() === sender.toLowerCase())) return h.value;
  }
  return `<${sender}>`;
}

export function composeVacation(
  a: VacationAction,
  originalHeaders: readonly { name: string; value: string }[],
  opts: { envelopeFrom?: string; ignoreEnvelope?: boolean } = {},
): OutgoingMessage {
  const refs = originalHeaders.find((h) => h.name.toLowerCase() === 'references')?.value;
  const headers: [string, string][] = [
    ['X-Sieve', 'Mailstead Sieve'],
    ['Message-ID', msgId()],
    ['Date', date()],
    ['From', a.from !== undefined ? encodePhrase(a.from) : `<${a.replyFrom}>`],
    ['To', replyTo(originalHeaders, a.to, opts.ignoreEnvelope ?? false)],
    ['Subject', encodeHeaderValue(a.replySubject)],
  ];
  if (a.inReplyTo) {
    headers.push(['In-Reply-To', a.inReplyTo]);
    headers.push(['References', refs ? `${refs} ${a.inReplyTo}` : a.inReplyTo]);
  }
  headers.push(
    ['Auto-Submitted', 'auto-replied (vacation)'],
    ['Precedence', 'bulk'],
    ['MIME-Version', '1.0'],
  );
  let body: string;
  if (a.mime) body = a.reason;
  else {
    headers.push(['Content-Type', 'text/plain; charset=utf-8'], ['Content-Transfer-Encoding', '8bit']);
    body = a.reason;
  }
  const raw = a.mime
    ? Buffer.from(`${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}${a.reason}`, 'utf8')
    : build(headers, body);
  return { from: opts.envelopeFrom ?? '', to: a.to, raw };
}

/** Encode the display-name part of an address when it has non-ASCII text. */
function encodePhrase(v: string): string {
  const m = /^(.*?)\s*(<[^>]*>)\s*$/.exec(v);
  if (!m || !/[^\x20-\x7e]/.test(m[1]!)) return v;
  return `${encodeHeaderValue(m[1]!.replace(/^"|"$/g, ''))} ${m[2]}`;
}

const PRIORITY: Record<number, [string, string]> = {
  1: ['1 (Highest)', 'high'],
  2: ['3 (Normal)', 'normal'],
  3: ['5 (Lowest)', 'low'],
};

/** One message per recipient not notified before (`done` tracks them across actions). */
export function composeNotify(
  a: NotifyAction,
  envelopeFrom: string,
  defaultFrom: string,
  done: Set<string>,
): OutgoingMessage[] {
  const m = a.mailto;
  if (!m) return [];
  const fresh = (
    list: readonly string[],
    display?: readonly string[],
  ): { addr: string[]; shown: string[] } => {
    const addr: string[] = [];
    const shown: string[] = [];
    list.forEach((x, i) => {
      const k = x.toLowerCase();
      if (done.has(k)) return;
      done.add(k);
      addr.push(x);
      shown.push(display?.[i] ?? x);
    });
    return { addr, shown };
  };
  const to = fresh(m.to, m.display.to);
  const cc = fresh(m.cc, m.display.cc);
  const bcc = fresh(m.bcc);
  const subject = limitSubject(a.message ?? m.subject ?? 'Notification of new message', 256);
  const [xprio, importance] = PRIORITY[a.importance] ?? PRIORITY[2]!;
  const headers: [string, string][] = [
    ['X-Sieve', 'Mailstead Sieve'],
    ['Message-ID', msgId()],
    ['Date', date()],
    ['From', a.from ?? defaultFrom],
    ...(to.shown.length ? ([['To', to.shown.map(encodeAddress).join(', ')]] as [string, string][]) : []),
    ...(cc.shown.length ? ([['Cc', cc.shown.map(encodeAddress).join(', ')]] as [string, string][]) : []),
    ['Subject', encodeHeaderValue(subject)],
    ['X-Priority', xprio],
    ['Importance', importance],
    ...m.headers.map((h) => [h.name, h.value] as [string, string]),
    ['Auto-Submitted', 'auto-notified'],
    ['Precedence', 'bulk'],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Transfer-Encoding', '8bit'],
  ];
  const raw = build(headers, m.body ?? a.message ?? 'Notification of new message.\r\n');
  return [...to.addr, ...cc.addr, ...bcc.addr].map((rcpt) => ({ from: envelopeFrom, to: rcpt, raw }));
}

/** RFC 2047-encode the display name of "Name <addr>" when needed. */
function encodeAddress(s: string): string {
  return encodePhrase(s);
}

export function composeReject(
  reason: string,
  sender: string,
  recipient: string,
  subject: string,
  original: Uint8Array,
): OutgoingMessage {
  const boundary = `mailstead-${Date.now()}-${++counter}`;
  const headers: [string, string][] = [
    ['X-Sieve', 'Mailstead Sieve'],
    ['Message-ID', msgId()],
    ['Date', date()],
    ['From', 'Postmaster <postmaster@example.com>'],
    ['To', `<${sender}>`],
    ['Subject', encodeHeaderValue(`Rejected: ${subject}`)],
    ['Auto-Submitted', 'auto-replied (rejected)'],
    ['Precedence', 'bulk'],
    ['MIME-Version', '1.0'],
    ['Content-Type', `multipart/report; report-type=disposition-notification; boundary="${boundary}"`],
  ];
  const body =
    `This is a MIME-encapsulated message\r\n\r\n--${boundary}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: 8bit\r\n\r\n` +
    `Your message to <${recipient}> was automatically rejected:\r\n${reason}\r\n` +
    `\r\n--${boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n` +
    `Reporting-UA: localhost; Mailstead Sieve\r\nFinal-Recipient: rfc822; ${recipient}\r\n` +
    `Disposition: automatic-action/MDN-sent-automatically; deleted\r\n` +
    `\r\n--${boundary}\r\nContent-Type: message/rfc822\r\n\r\n${Buffer.from(original).toString('utf8')}\r\n--${boundary}--\r\n`;
  return { from: '', to: sender, raw: build(headers, body) };
}
