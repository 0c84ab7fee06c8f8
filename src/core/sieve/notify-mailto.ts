// enotify's mailto method (RFC 5436) at delivery: the notification is a short text message queued
// with the null envelope sender and Auto-Submitted: auto-notified, so it can never set off
// another notification or a bounce loop.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import type { NotifyAction, SieveMessage } from '../../sieve/index.js';
import { flattenAddresses, parseAddressList } from '../../mime/index.js';
import { buildMessage, mailbox, newMessageId, type TextMessage } from './outgoing-message.js';
import type { SendMail } from './send-mail.js';

export interface NotifyContext {
  core: Core;
  account: Account;
  userAddresses: readonly string[];
  message: SieveMessage;
  send: SendMail;
  /** Runs the step once the message is stored (no notification about a message not kept). */
  afterDelivery: (step: () => Promise<void>) => void;
}

export async function handleNotify(ctx: NotifyContext, a: NotifyAction): Promise<string> {
  const m = a.mailto;
  if (!m) return `notify: method ${a.method} not supported`;
  // RFC 5436 §2.7: no notification about an automatically submitted message.
  const auto = ctx.message.values('auto-submitted')[0];
  if (auto !== undefined && auto.trim().toLowerCase() !== 'no')
    return 'notify: not sent (the message is auto-submitted)';
  const recipients = [...m.to, ...m.cc, ...m.bcc];
  if (recipients.length === 0) return 'notify: no recipients';
  const origFrom = ctx.message.values('from')[0] ?? '';
  const origSubject = ctx.message.values('subject')[0] ?? '';
  const subject = a.message ?? m.subject ?? `[SIEVE] New mail from ${origFrom}: ${origSubject}`.trim();
  const body =
    m.body ?? (a.message !== undefined ? `${a.message}\n` : `From: ${origFrom}\nSubject: ${origSubject}\n`);
  const headers: TextMessage['headers'] = [
    ['From', fromOf(ctx, a), 'encoded'],
    ['To', addressField(m.display.to, m.to) || 'undisclosed-recipients:;', 'encoded'],
  ];
  if (m.cc.length) headers.push(['Cc', addressField(m.display.cc, m.cc), 'encoded']);
  headers.push(['Subject', subject], ['Message-ID', newMessageId(ctx.core.hostname)]);
  for (const h of m.headers) headers.push([h.name, h.value]);
  headers.push(['Auto-Submitted', 'auto-notified'], ['Precedence', 'bulk']);
  const importance = ['', 'high', 'normal', 'low'][a.importance];
  if (importance && importance !== 'normal') headers.push(['Importance', importance]);
  const raw = buildMessage({ headers, body }, ctx.core.now());
  ctx.afterDelivery(async () => {
    await ctx.send(ctx.core, {
      sender: '',
      recipients,
      raw,
      meta: { kind: 'message', from: ctx.account.address, auto: 'notify' },
    });
  });
  return `notify: mailto ${recipients.join(', ')}`;
}

/** The recipients as written in the URI when plain ASCII, else the bare addresses. */
function addressField(display: readonly string[], addresses: readonly string[]): string {
  const text = display.join(', ');
  return /^[\x20-\x7e]*$/.test(text) && display.length === addresses.length ? text : addresses.join(', ');
}

/** `:from` only when it is one of the address's own addresses; else the address itself. */
function fromOf(ctx: NotifyContext, a: NotifyAction): string {
  const mine = new Set(ctx.userAddresses.map((x) => x.toLowerCase()));
  if (a.from !== undefined) {
    const p = flattenAddresses(parseAddressList(a.from)).filter((x) => x.valid);
    if (p.length === 1 && mine.has(p[0]!.address.toLowerCase())) return mailbox(p[0]!.name, p[0]!.address);
  }
  return mailbox(ctx.account.displayName, ctx.account.address);
}
