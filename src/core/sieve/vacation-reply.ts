// Vacation (RFC 5230) at delivery: the product's auto-reply. The engine already refused the cases
// RFC 3834 rules out (null sender, Auto-Submitted, Precedence bulk/list/junk, list headers,
// mailer-daemon and owner-/-request senders, mail not addressed to the user); here the delivery
// context adds its own: no reply for mail that reached the address only through the catch-all or
// that was judged spam, and one reply per sender per period, remembered in the key-value store.
// Replies go out with the null envelope sender, as Pigeonhole does by default
// (sieve_vacation_send_from_recipient = no; RFC 5230 §5.4 allows it, and a bounce of the reply can't loop).
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import type { VacationAction } from '../../sieve/index.js';
import { flattenAddresses, parseAddressList } from '../../mime/index.js';
import { type TextMessage, buildMessage, mailbox, newMessageId } from './outgoing-message.js';
import type { SendMail } from './send-mail.js';

const VACATION_NS = 'sieve-vacation';

export interface VacationContext {
  core: Core;
  account: Account;
  /** Every address of the account (all aliases on all domains of the service). */
  userAddresses: readonly string[];
  reasons: readonly string[];
  junk: boolean;
  /** The first of the user's addresses the original names in To/Cc/Bcc, if any. */
  addressedAs: string | undefined;
  /** References of the original (for threading). */
  references: string | undefined;
  send: SendMail;
  /** Runs the step once the message is stored (the memory and the reply follow the delivery). */
  afterDelivery: (step: () => Promise<void>) => void;
}

/** Returns the explanation line for the mail log. */
export async function handleVacation(ctx: VacationContext, a: VacationAction): Promise<string> {
  const { core, account } = ctx;
  if (!a.send) return `vacation: no reply (${a.suppressedBecause ?? 'not allowed'})`;
  if (ctx.reasons.includes('catch-all'))
    return 'vacation: no reply (mail reached the address only through the catch-all)';
  if (ctx.junk) return 'vacation: no reply (message judged spam)';
  const sender = a.to.toLowerCase();
  const key = `${account.addressId}:${a.trackingKey}:${sender}`;
  if (a.seconds > 0) {
    const until = await core.store.kv.get(VACATION_NS, key);
    if (until !== undefined && Number(until) > core.now())
      return `vacation: no reply (already replied to ${a.to} in the last ${period(a.seconds)})`;
  }
  const from = replyFrom(ctx, a);
  const refs = [ctx.references, a.inReplyTo].filter((s): s is string => !!s && s.trim() !== '');
  const headers: TextMessage['headers'] = [
    ['From', from, 'encoded'],
    ['To', a.to, 'encoded'],
    ['Subject', a.replySubject],
    ['Message-ID', newMessageId(core.hostname)],
  ];
  if (a.inReplyTo) headers.push(['In-Reply-To', a.inReplyTo.trim()]);
  if (refs.length) headers.push(['References', refs.join(' ').replace(/\s+/g, ' ').trim()]);
  headers.push(['Auto-Submitted', 'auto-replied (vacation)'], ['Precedence', 'bulk']);
  const raw = buildMessage({ headers, body: a.reason, mimeEntity: a.mime }, core.now());
  // Remembered and sent only once the original is stored: if storing fails, the sender's retry
  // gets the reply instead of finding it already sent.
  ctx.afterDelivery(async () => {
    if (a.seconds > 0) {
      const ttl = a.seconds * 1000;
      // The expiry is the value (compared with core.now()); the row's ttl lets the store purge it.
      await core.store.kv.set(VACATION_NS, key, String(core.now() + ttl), ttl + 3_600_000);
    }
    await ctx.send(core, {
      sender: '',
      recipients: [a.to],
      raw,
      meta: { kind: 'message', from: account.address, auto: 'vacation' },
    });
  });
  return `vacation: reply sent to ${a.to}`;
}

/**
 * The reply's From: the script's `:from` only when it is one of the address's own addresses (the
 * product lets the user pick among their aliases, never a foreign identity); otherwise the address
 * the original was sent to, else the account's address.
 */
function replyFrom(ctx: VacationContext, a: VacationAction): string {
  const mine = new Set(ctx.userAddresses.map((x) => x.toLowerCase()));
  if (a.from !== undefined) {
    const parsed = flattenAddresses(parseAddressList(a.from)).filter((x) => x.valid);
    const p = parsed[0];
    if (parsed.length === 1 && p && mine.has(p.address.toLowerCase()))
      return mailbox(p.name || ctx.account.displayName, p.address);
  }
  const name = ctx.account.displayName;
  if (mine.has(a.replyFrom.toLowerCase())) return mailbox(name, a.replyFrom);
  return mailbox(name, ctx.addressedAs ?? ctx.account.address);
}

function period(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day(s)`;
  return `${seconds} second(s)`;
}
