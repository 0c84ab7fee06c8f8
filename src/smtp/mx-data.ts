// End of DATA on the MX: loop check, SPF/DKIM/DMARC/ARC, trace fields, then the delivery pipeline.
// 250 is answered only once every recipient's copy is committed, or (for one that failed for a
// moment) once the message sits durably in the queue for a retry.
import { checkMessageAuth, type AuthVerdict } from '../core/delivery/message-auth.js';
import { detectLoop, dropForgedAuthResults, receivedField } from '../core/delivery/trace.js';
import { deliverLocal, type LocalResolution } from '../core/delivery/pipeline.js';
import { logMail } from '../core/maillog/mail-log.js';
import { joinMessage, makeField, splitMessage, type HeaderField } from '../wire/header-block.js';
import { smtpError } from './smtp-library.js';
import { newQueueId, protocolName, rcptDsn, tlsInfo, type DataContext } from './session.js';
import { reportLocalOutcome } from '../core/queue/bounce.js';
import type { RecipientOutcome } from '../core/delivery/pipeline.js';

/** Authentication-Results (and friends) from mailauth's text into header fields. */
function authFields(headers: string): HeaderField[] {
  return splitMessage(Buffer.from(headers + '\r\n', 'latin1')).fields.filter((f) => f.name);
}

export function messageIdOf(raw: Buffer): string {
  return splitMessage(raw).fields.find((f) => f.key === 'message-id')?.value ?? '';
}

export async function handleMxData(ctx: DataContext): Promise<string> {
  const { core, opts, session, state } = ctx;
  const id = newQueueId();
  const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  const rcpts = [...state.recipients.values()].filter((r): r is LocalResolution => r.kind === 'local');
  if (rcpts.length === 0) throw smtpError(554, '5.5.1', 'No valid recipients');
  const messageId = messageIdOf(ctx.raw) || `<${id}@${core.hostname}>`;

  const loop = detectLoop(
    ctx.raw,
    rcpts.map((r) => r.canonical),
    opts.maxReceivedHeaders,
  );
  if (loop.loop) {
    await logMail(
      core,
      rcpts.map((r) => ({
        address: r.canonical,
        direction: 'in' as const,
        messageId,
        event: 'rejected',
        detail: { reason: loop.reason },
      })),
    );
    throw smtpError(554, '5.4.6', `Mail loop detected: ${loop.reason}`);
  }

  // Forged Authentication-Results claiming to be ours go before anything reads the message.
  const m = splitMessage(ctx.raw);
  dropForgedAuthResults(m, core.hostname);
  const clean = joinMessage(m);

  let verdict: AuthVerdict | undefined;
  try {
    verdict = await checkMessageAuth(clean, {
      ip: session.remoteAddress,
      helo: session.hostNameAppearsAs ?? '',
      sender,
      hostname: core.hostname,
      resolve: opts.resolve,
    });
  } catch (err) {
    core.log.warn({ err }, 'SPF/DKIM/DMARC check failed; delivering with temperror');
  }
  if (verdict?.dmarcPolicy === 'reject') {
    await logMail(
      core,
      rcpts.map((r) => ({
        address: r.canonical,
        direction: 'in' as const,
        messageId,
        event: 'rejected',
        detail: {
          reason: 'DMARC policy reject',
          from: sender,
          ip: session.remoteAddress,
          dmarc: verdict!.dmarc,
        },
      })),
    );
    throw smtpError(550, '5.7.1', `Rejected by the DMARC policy of ${verdict.fromDomain}`);
  }

  const trace: HeaderField[] = [
    receivedField({
      helo: session.hostNameAppearsAs ?? '',
      ip: session.remoteAddress,
      ...(session.clientHostname && session.clientHostname !== `[${session.remoteAddress}]`
        ? { rdns: session.clientHostname }
        : {}),
      hostname: core.hostname,
      protocol: protocolName(session),
      ...(tlsInfo(session) ? { tlsCipher: tlsInfo(session)! } : {}),
      id,
      ...(rcpts.length === 1 ? { recipient: rcpts[0]!.canonical } : {}),
      at: core.now(),
    }),
    ...(verdict
      ? authFields(verdict.headers)
      : [
          makeField(
            'Authentication-Results',
            `${core.hostname}; spf=temperror; dkim=temperror; dmarc=temperror`,
          ),
        ]),
  ];

  const outcomes = await deliverLocal(
    core,
    opts.hooks,
    {
      raw: clean,
      envelopeFrom: sender,
      messageId,
      trace,
      quarantine: verdict?.dmarcPolicy === 'quarantine',
      remoteIp: session.remoteAddress,
      logDetail: {
        tls: session.secure,
        ...(verdict
          ? { spf: verdict.spf, dkim: verdict.dkim, dmarc: verdict.dmarc, arc: verdict.arc }
          : { auth: 'temperror' }),
        queueId: id,
      },
    },
    rcpts,
  );

  const failed = outcomes.filter((o) => o.status === 'failed');
  const rejected = outcomes.filter((o) => o.status === 'rejected');
  const accepted = outcomes.length - failed.length - rejected.length;
  if (accepted === 0 && rejected.length > 0 && failed.length === 0) {
    throw smtpError(
      550,
      '5.7.1',
      rejected.length === 1 && rejected[0]!.status === 'rejected'
        ? rejected[0]!.reason
        : "Message rejected by the recipients' rules",
    );
  }
  if (accepted === 0 && rejected.length === 0) {
    const all = (code: string) => failed.every((f) => f.status === 'failed' && f.code === code);
    if (all('OVER_QUOTA')) throw smtpError(452, '4.2.2', 'Mailbox full, try again later');
    if (all('STORAGE_FULL')) throw smtpError(452, '4.3.1', 'Insufficient system storage, try again later');
    throw smtpError(451, '4.3.0', 'Temporary local delivery failure; try again');
  }
  await reportOutcomes(ctx, sender, outcomes, clean);
  if (failed.length) {
    // Some copies are stored: the rest must not be lost nor delivered twice, so they go to the queue.
    // The queued copy carries our trace fields: the retry must not lose them.
    const traced = Buffer.concat([Buffer.from(trace.map((f) => f.raw).join(''), 'latin1'), clean]);
    await opts.retryLocal({ sender, recipients: failed.map((f) => f.recipient), raw: traced, messageId });
  }
  return `2.0.0 Ok: queued as ${id}`;
}

/**
 * Reports to the sender what SMTP could not say per recipient: NOTIFY=SUCCESS "delivered" reports,
 * and "failed" for recipients whose Sieve script rejected the message while others accepted it.
 */
async function reportOutcomes(
  ctx: DataContext,
  sender: string,
  outcomes: RecipientOutcome[],
  original: Buffer,
): Promise<void> {
  const env = ctx.session.envelope as { dsn?: { envid?: string | null } };
  type Reported = Parameters<typeof reportLocalOutcome>[1]['recipients'][number];
  const recipients: Reported[] = [];
  for (const o of outcomes) {
    const dsn = rcptDsn(ctx.session, o.recipient);
    const base: Reported = { recipient: o.recipient, action: 'delivered', status: '2.0.0' };
    if (dsn?.orcpt) base.originalRecipient = dsn.orcpt;
    if (o.status === 'delivered' && dsn?.notify?.includes('SUCCESS')) recipients.push(base);
    if (o.status === 'rejected' && !dsn?.notify?.includes('NEVER')) {
      recipients.push({ ...base, action: 'failed', status: '5.7.1', reply: `550 5.7.1 ${o.reason}` });
    }
  }
  if (recipients.length === 0) return;
  try {
    await reportLocalOutcome(ctx.core, {
      sender,
      ...(env.dsn?.envid ? { envid: env.dsn.envid } : {}),
      arrivalDate: ctx.core.now(),
      original,
      recipients,
    });
  } catch (err) {
    ctx.core.log.error({ err }, 'could not queue a delivery status notification');
  }
}
