// Which protocol sessions the server runs: each protocol package exports a handler factory; this is
// the one place that assembles them with the domain's pieces (delivery hooks, queue, resolver).
import type { Core } from '../core/context.js';
import type { Config } from '../server/config.js';
import type { Connection } from '../server/listener.js';
import type { TlsMaterial } from '../server/tls.js';
import { createResolver } from '../core/dns/resolver.js';
import { noSpamCheck, type DeliveryHooks } from '../core/delivery/hooks.js';
import { createSieveFilter } from '../core/sieve/sieve-filter.js';
import { serviceTemplateScripts } from '../core/rules/templates.js';
import { autoReplyScripts } from '../core/autoreply/auto-replies.js';
import { enqueue } from '../core/queue/enqueue.js';
import { srsForward } from '../core/queue/srs.js';
import { startQueueWorker, type QueueWorker } from '../core/queue/worker.js';
import { MailError } from '../core/errors.js';
import { resolveRecipient } from '../core/directory/resolve.js';
import { deliverLocal } from '../core/delivery/pipeline.js';
import { detectLoop } from '../core/delivery/trace.js';
import { joinMessage, makeField, splitMessage } from '../wire/header-block.js';
import {
  outboundTransportFromConfig,
  queueTimingFromConfig,
  srsSecretFromConfig,
} from '../smtp/outbound/from-config.js';
import { createSmtpService } from '../smtp/server.js';
import { createImapHandler } from '../imap/server.js';
import { createManageSieveHandler } from '../managesieve/server.js';
import { createPop3Handler } from '../pop3/server.js';

export interface ProtocolSet {
  handlers: Partial<Record<keyof Config['listen'], (conn: Connection) => void>>;
  hooks: DeliveryHooks;
  queue: QueueWorker;
  close(): Promise<void>;
}

/**
 * A forwarded copy names the address it went through, so a forwarding loop is seen (RFC 5321 §6.3);
 * a Sieve redirect also says so the way Pigeonhole does (X-Sieve-Redirected-From).
 */
function markForwarded(raw: Buffer, via: string, sieveRedirect: boolean): Buffer {
  const m = splitMessage(raw);
  const already = m.fields.some(
    (f) => f.key === 'delivered-to' && f.value.toLowerCase() === via.toLowerCase(),
  );
  if (!already) m.fields.unshift(makeField('Delivered-To', via, m.eol));
  if (sieveRedirect) m.fields.unshift(makeField('X-Sieve-Redirected-From', via, m.eol));
  return joinMessage(m);
}

export async function protocolHandlers(core: Core, config: Config, tls: TlsMaterial): Promise<ProtocolSet> {
  const resolve = createResolver(config.dns.servers);
  const secret = srsSecretFromConfig(config);
  const hooks: DeliveryHooks = {
    spam: noSpamCheck,
    // before each address's own script: its auto-reply first (a template that files the message
    // elsewhere ends the sequence, and must not silence the out-of-office), then the service's templates
    filter: createSieveFilter({
      templates: async (c, a) => [...(await autoReplyScripts(c, a)), ...(await serviceTemplateScripts(c, a))],
    }),
    async forward(c, req) {
      // SRS keeps SPF passing at the far end; the null sender stays null (no bounce to a bounce).
      const sender = req.originalSender
        ? srsForward(req.originalSender, { secret, domain: c.hostname, now: c.now() })
        : '';
      await enqueue(c, {
        sender,
        recipients: req.to,
        raw: markForwarded(req.raw, req.via, req.reason === 'sieve redirect'),
        sign: false,
        meta: { kind: 'forward', from: req.via },
      });
      worker.kick();
    },
  };
  const smtp = createSmtpService(core, {
    hostname: config.hostname,
    maxMessageSize: config.smtp.max_message_size,
    maxRecipients: config.smtp.max_recipients,
    maxReceivedHeaders: config.smtp.max_received_headers,
    idleTimeoutMs: config.limits.idle_timeout * 1000,
    tls: { key: tls.key, cert: tls.cert },
    resolve,
    hooks,
    sendOut: async (req) => {
      const id = await enqueue(core, {
        sender: req.sender,
        recipients: req.recipients,
        raw: req.raw,
        meta: {
          kind: 'message',
          from: req.account?.address ?? req.sender,
          messageId: req.messageId,
          ...(req.dsn ? { dsn: req.dsn } : {}),
        },
      });
      worker.kick();
      return id;
    },
    async retryLocal(req) {
      await enqueue(core, {
        sender: req.sender,
        recipients: req.recipients,
        raw: req.raw,
        sign: false,
        meta: { kind: 'message', messageId: req.messageId },
      });
      worker.kick();
    },
  });
  const worker: QueueWorker = startQueueWorker(core, {
    transport: outboundTransportFromConfig(config, { resolve, log: core.log }),
    ...queueTimingFromConfig(config),
    srs: { secret, domain: config.hostname },
    // Queued mail for our own addresses (retries, forwards to local targets) takes the same pipeline.
    async deliverLocal(sender, recipient, raw) {
      const r = await resolveRecipient(core, recipient);
      if (r.kind !== 'local') throw new MailError('NOT_FOUND', `no such local address: ${recipient}`);
      const loop = detectLoop(raw, [r.canonical], config.smtp.max_received_headers);
      if (loop.loop) throw new MailError('PERMISSION_DENIED', `mail loop: ${loop.reason}`);
      const messageId = splitMessage(raw).fields.find((f) => f.key === 'message-id')?.value ?? '';
      const [o] = await deliverLocal(
        core,
        hooks,
        {
          raw,
          envelopeFrom: sender,
          messageId,
          trace: [],
          quarantine: false,
          remoteIp: '127.0.0.1',
          logDetail: { via: 'queue' },
        },
        [r],
      );
      if (o?.status === 'failed') {
        throw new MailError(o.code === 'OVER_QUOTA' ? 'OVER_QUOTA' : 'TEMPORARY_FAILURE', o.reason, true);
      }
      if (o?.status === 'rejected') throw new MailError('PERMISSION_DENIED', o.reason);
    },
  });
  const imap = createImapHandler(core, { maxMessageSize: config.smtp.max_message_size });
  const pop3Handler = createPop3Handler(core);
  return {
    handlers: {
      smtp: smtp.handlers.smtp,
      submission: smtp.handlers.submission,
      submissions: smtp.handlers.submissions,
      imap,
      imaps: imap,
      managesieve: createManageSieveHandler(core),
      pop3: pop3Handler,
      pop3s: pop3Handler,
    },
    hooks,
    queue: worker,
    async close() {
      await worker.stop();
      imap.close();
      await smtp.close();
    },
  };
}
