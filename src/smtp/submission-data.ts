// End of DATA on submission: the From check, Bcc removed, Date/Message-ID added, the daily sending
// limit, then local recipients delivered at once and remote ones queued (DKIM-signed).
import { isMailError } from '../core/errors.js';
import { deliverLocal, type LocalResolution } from '../core/delivery/pipeline.js';
import { receivedField } from '../core/delivery/trace.js';
import { outgoingAllowance, recordOutgoing } from '../core/security/rate-limit.js';
import { prepareSubmission } from '../core/submission/prepare.js';
import { logMail } from '../core/maillog/mail-log.js';
import { planLimits } from '../core/directory/plans.js';
import { smtpError } from './smtp-library.js';
import { reportLocalOutcome } from '../core/queue/bounce.js';
import { dsnOf, newQueueId, protocolName, tlsInfo, type DataContext } from './session.js';

export async function handleSubmissionData(ctx: DataContext): Promise<string> {
  const { core, opts, session, state } = ctx;
  const account = state.account;
  if (!account) throw smtpError(530, '5.7.0', 'Authentication required');
  const id = newQueueId();
  const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : account.address;

  let prepared;
  try {
    prepared = await prepareSubmission(core, account, ctx.raw);
  } catch (e) {
    if (isMailError(e, 'PERMISSION_DENIED')) {
      await logMail(core, {
        address: account.address,
        direction: 'out',
        messageId: '',
        event: 'rejected',
        detail: { reason: e.message },
      });
      throw smtpError(550, '5.7.1', e.message);
    }
    if (isMailError(e, 'INVALID_ARGUMENT')) throw smtpError(550, '5.6.0', e.message);
    throw e;
  }
  const recipients = [...state.recipients.entries()];
  const count = recipients.length;
  const allowance = await outgoingAllowance(core, account, count);
  if (!allowance.allowed) {
    const service = await core.store.directory.getService(account.serviceId);
    const reason = `daily sending limit reached: ${allowance.used} of ${allowance.limit} messages in 24 hours (${service ? planLimits(service.plan).label : 'plan'}; each recipient counts)`;
    await logMail(core, {
      address: account.address,
      direction: 'out',
      messageId: prepared.messageId,
      event: 'rejected',
      detail: { reason, recipients: count },
    });
    throw smtpError(550, '5.7.1', `Sending refused: ${reason}`);
  }

  const received = receivedField({
    helo: session.hostNameAppearsAs ?? '',
    ip: session.remoteAddress,
    hostname: core.hostname,
    protocol: protocolName(session),
    ...(tlsInfo(session) ? { tlsCipher: tlsInfo(session)! } : {}),
    id,
    ...(count === 1 ? { recipient: recipients[0]![0] } : {}),
    at: core.now(),
  });
  const local = recipients.flatMap(([, r]) => (r.kind === 'local' ? [r as LocalResolution] : []));
  const remote = recipients.flatMap(([addr, r]) => (r.kind === 'remote' ? [addr] : []));

  // The queue takes remote recipients first: once it answers, their copy is durable.
  if (remote.length) {
    const rawOut = Buffer.concat([Buffer.from(received.raw, 'latin1'), prepared.raw]);
    await opts.sendOut({
      sender,
      recipients: remote,
      raw: rawOut,
      account,
      messageId: prepared.messageId,
      dsn: dsnOf(session, remote),
    });
  }
  if (local.length) {
    const outcomes = await deliverLocal(
      core,
      opts.hooks,
      {
        raw: prepared.raw,
        envelopeFrom: sender,
        messageId: prepared.messageId,
        trace: [received],
        quarantine: false,
        remoteIp: session.remoteAddress,
        logDetail: { submittedBy: account.address, tls: session.secure, queueId: id },
      },
      local,
    );
    const failed = outcomes.filter((o) => o.status === 'failed').map((o) => o.recipient);
    if (failed.length)
      await opts.retryLocal({ sender, recipients: failed, raw: prepared.raw, messageId: prepared.messageId });
    // A local recipient's Sieve reject after we accepted the message: the sender gets a DSN (RFC 5429).
    const rejected = outcomes.flatMap((o) =>
      o.status === 'rejected'
        ? [
            {
              recipient: o.recipient,
              action: 'failed' as const,
              status: '5.7.1',
              reply: `550 5.7.1 ${o.reason}`,
            },
          ]
        : [],
    );
    if (rejected.length) {
      await reportLocalOutcome(core, {
        sender,
        arrivalDate: core.now(),
        original: prepared.raw,
        recipients: rejected,
      });
    }
  }
  await recordOutgoing(core, account, count);
  await logMail(core, {
    address: account.address,
    direction: 'out',
    messageId: prepared.messageId,
    event: 'submitted',
    detail: {
      to: recipients.map(([a]) => a),
      local: local.length,
      remote: remote.length,
      subject: prepared.subject,
      queueId: id,
    },
  });
  return `2.0.0 Ok: queued as ${id}`;
}
