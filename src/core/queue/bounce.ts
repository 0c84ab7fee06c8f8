// Delivery status notifications (RFC 3464 inside RFC 6522 multipart/report): the bounce on a
// permanent failure or queue expiry, and the delay notice (Action: delayed) sent once while we
// keep retrying. Never sent to the null sender (RFC 5321 §4.5.5: a notice about a notice could
// loop forever), and only when the sender's NOTIFY allows it (RFC 3461 §4.1).
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import type { QueueItem } from '../../store/ports.js';
import { splitMessage } from '../../wire/header-block.js';
import { enqueue, logAddressOf } from './enqueue.js';
import { readMeta, wantsNotice } from './meta.js';
import { srsReverse, type SrsOptions } from './srs.js';
import { rfc5322Date } from '../../wire/date.js';

export interface DsnRecipient {
  recipient: string;
  /** RFC 3464 §2.3.3: failed and delayed on trouble; delivered or relayed for NOTIFY=SUCCESS. */
  action: 'failed' | 'delayed' | 'delivered' | 'relayed';
  /** RFC 3463 enhanced status, e.g. "5.1.1". */
  status: string;
  /** The remote SMTP reply ("550 5.1.1 no such user"), when there was one. */
  reply?: string;
  remoteMta?: string;
  /** RFC 3461 ORCPT as given, "rfc822;addr". */
  originalRecipient?: string;
  lastAttemptAt?: number;
  /** Action delayed: when we give up. */
  willRetryUntil?: number;
}

export interface DsnInput {
  /** Our host name: Reporting-MTA and the MAILER-DAEMON address. */
  reportingMta: string;
  /** Who gets the notice: the original envelope sender. */
  to: string;
  envid?: string;
  arrivalDate: number;
  now: number;
  recipients: DsnRecipient[];
  original: Buffer;
  /** Include the whole original or only its header (RFC 3461 RET). */
  returnContent: 'full' | 'headers';
}

/** Messages up to this size come back whole when the sender did not say (RET absent). */
const RETURN_FULL_MAX = 1024 * 1024;

/** A header value on one line: a remote reply must not be able to inject fields. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

/**
 * The enhanced status of a reply (RFC 3463), or one made from the basic code's class, or
 * `fallback` when there was no reply at all.
 */
export function statusOf(code: number, text: string, fallback: string): string {
  const m = /^(?:\d{3}[ -])?\s*([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text.trim());
  if (m && (code === 0 || String(code)[0] === m[1])) return `${m[1]}.${m[2]}.${m[3]}`;
  if (code >= 500 && code < 600) return '5.0.0';
  if (code >= 400 && code < 500) return '4.0.0';
  return fallback;
}

function headerBlock(raw: Buffer): Buffer {
  const m = splitMessage(raw);
  return Buffer.from(m.fields.map((f) => f.raw).join(''), 'latin1');
}

const has8bit = (b: Buffer): boolean => b.some((c) => c >= 0x80);

export function buildDsn(input: DsnInput): Buffer {
  const failed = input.recipients.some((r) => r.action === 'failed');
  const success = input.recipients.every((r) => r.action === 'delivered' || r.action === 'relayed');
  const boundary = `=_dsn_${randomBytes(12).toString('hex')}`;
  const msgId = `<dsn.${randomBytes(10).toString('hex')}@${input.reportingMta}>`;
  const daemon = `MAILER-DAEMON@${input.reportingMta}`;

  const human: string[] = success
    ? [
        `This is the mail system at host ${input.reportingMta}.`,
        '',
        'Your message was successfully delivered to the destination(s) listed below.',
        'If it was relayed to a system that does not report delivery, no further notice follows.',
      ]
    : failed
      ? [
          `This is the mail system at host ${input.reportingMta}.`,
          '',
          'Your message could not be delivered to one or more recipients.',
          'It is attached below.',
        ]
      : [
          `This is the mail system at host ${input.reportingMta}.`,
          '',
          'Your message could not be delivered yet to one or more recipients.',
          'We will keep trying; you do not need to send it again.',
        ];
  human.push('');
  for (const r of input.recipients) {
    human.push(`<${r.recipient}>: ${r.reply ? oneLine(r.reply) : `status ${r.status}`}`);
    if (r.willRetryUntil) human.push(`    (we will keep trying until ${rfc5322Date(r.willRetryUntil)})`);
  }

  // RFC 3464 §2.2: per-message fields, then a block per recipient (§2.3)
  const status: string[] = [`Reporting-MTA: dns; ${input.reportingMta}`];
  if (input.envid) status.push(`Original-Envelope-Id: ${oneLine(input.envid)}`);
  status.push(`Arrival-Date: ${rfc5322Date(input.arrivalDate)}`);
  for (const r of input.recipients) {
    status.push('');
    if (r.originalRecipient) status.push(`Original-Recipient: ${oneLine(r.originalRecipient)}`);
    status.push(`Final-Recipient: rfc822; ${r.recipient}`);
    status.push(`Action: ${r.action}`);
    status.push(`Status: ${r.status}`);
    if (r.remoteMta) status.push(`Remote-MTA: dns; ${oneLine(r.remoteMta)}`);
    if (r.reply) status.push(`Diagnostic-Code: smtp; ${oneLine(r.reply)}`);
    status.push(`Last-Attempt-Date: ${rfc5322Date(r.lastAttemptAt ?? input.now)}`);
    if (r.willRetryUntil) status.push(`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`);
  }

  const full = input.returnContent === 'full';
  const returned = full ? input.original : headerBlock(input.original);
  const eightBit = has8bit(returned);
  const head = [
    `From: Mail Delivery System <${daemon}>`,
    `To: <${input.to}>`,
    `Subject: ${success ? 'Successful Mail Delivery Report' : failed ? 'Undelivered Mail Returned to Sender' : 'Delayed Mail (still being retried)'}`,
    `Date: ${rfc5322Date(input.now)}`,
    `Message-ID: ${msgId}`,
    // RFC 3834 §5: an automatic answer; vacation responders and the like stay quiet
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
    ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    'This is a MIME-encapsulated message.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Description: Notification',
    '',
    ...human,
    '',
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    'Content-Description: Delivery report',
    '',
    ...status,
    '',
    `--${boundary}`,
    full ? 'Content-Type: message/rfc822' : 'Content-Type: text/rfc822-headers',
    `Content-Description: ${success ? 'Message Headers' : full ? 'Undelivered Message' : 'Undelivered Message Headers'}`,
    ...(eightBit ? ['Content-Transfer-Encoding: 8bit'] : []),
    '',
    '',
  ].join('\r\n');
  const tail = `${returned.subarray(-2).equals(Buffer.from('\r\n')) ? '' : '\r\n'}--${boundary}--\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), returned, Buffer.from(tail, 'latin1')]);
}

export interface NoticeOptions {
  /** Reverse our SRS senders so the notice goes to the original sender, not back to us. */
  srs?: SrsOptions;
  /** Delivery time limit, for Will-Retry-Until in delay notices. */
  lifetimeMs?: number;
}

/**
 * Queues a notice to the sender of `rows` (one envelope) about `recipients`. Returns the
 * envelope id of the notice, or undefined when none is due (null sender, NOTIFY, a notice).
 */
export async function notifySender(
  core: Core,
  rows: QueueItem[],
  recipients: DsnRecipient[],
  opts: NoticeOptions = {},
): Promise<string | undefined> {
  const first = rows[0];
  if (!first || recipients.length === 0) return undefined;
  const meta = readMeta(first.meta);
  if (first.sender === '' || meta.kind === 'bounce' || meta.kind === 'delay-notice') return undefined;
  const failed = recipients.some((r) => r.action === 'failed');
  const success = recipients.every((r) => r.action === 'delivered' || r.action === 'relayed');
  if (!wantsNotice(meta, success ? 'SUCCESS' : failed ? 'FAILURE' : 'DELAY')) return undefined;

  let to = first.sender;
  if (opts.srs) to = srsReverse(to, opts.srs) ?? to;
  const original = await core.store.blobs.get(first.blobHash);
  const ret = meta.dsn?.ret;
  const returnContent =
    !failed || ret === 'HDRS'
      ? 'headers'
      : ret === 'FULL' || original.length <= RETURN_FULL_MAX
        ? 'full'
        : 'headers';
  const orcpt = meta.dsn?.orcpt ?? {};
  const dsn = buildDsn({
    reportingMta: core.hostname,
    to,
    ...(meta.dsn?.envid ? { envid: meta.dsn.envid } : {}),
    arrivalDate: meta.queuedAt ?? first.createdAt,
    now: core.now(),
    recipients: recipients.map((r) => {
      const o = orcpt[r.recipient.toLowerCase()];
      return o && !r.originalRecipient ? { ...r, originalRecipient: o } : r;
    }),
    original,
    returnContent,
  });
  return enqueue(core, {
    sender: '',
    recipients: [to],
    raw: dsn,
    meta: {
      kind: success ? 'success-notice' : failed ? 'bounce' : 'delay-notice',
      from: logAddressOf(first),
      inReplyTo: meta.messageId,
    },
  });
}

/**
 * A report about local recipients, sent to the envelope sender: "delivered" for RFC 3461
 * NOTIFY=SUCCESS (headers only), or "failed" when a recipient's Sieve script rejected a message that
 * other recipients accepted (RFC 5429 §2.1: a DSN when SMTP can no longer refuse). Never to the null
 * sender.
 */
export async function reportLocalOutcome(
  core: Core,
  req: {
    sender: string;
    envid?: string;
    arrivalDate: number;
    original: Buffer;
    recipients: Array<{
      recipient: string;
      originalRecipient?: string;
      action: 'delivered' | 'failed';
      status: string;
      reply?: string;
    }>;
  },
): Promise<string | undefined> {
  if (req.sender === '' || req.recipients.length === 0) return undefined;
  const failed = req.recipients.some((r) => r.action === 'failed');
  const dsn = buildDsn({
    reportingMta: core.hostname,
    to: req.sender,
    ...(req.envid ? { envid: req.envid } : {}),
    arrivalDate: req.arrivalDate,
    now: core.now(),
    recipients: req.recipients.map((r) => ({ ...r, lastAttemptAt: core.now() })),
    original: req.original,
    returnContent: failed && req.original.length <= RETURN_FULL_MAX ? 'full' : 'headers',
  });
  return enqueue(core, {
    sender: '',
    recipients: [req.sender],
    raw: dsn,
    meta: { kind: failed ? 'bounce' : 'success-notice' },
  });
}
