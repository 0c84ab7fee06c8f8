// Which protocol sessions the server runs: each protocol package exports a handler factory; this is
// the one place that assembles them with the domain's pieces (delivery hooks, queue, resolver).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Core } from '../core/context.js';
import type { Config } from '../server/config.js';
import type { Connection } from '../server/listener.js';
import type { TlsMaterial } from '../server/tls.js';
import { createResolver } from '../core/dns/resolver.js';
import { implicitKeep, noSpamCheck, type DeliveryHooks } from '../core/delivery/hooks.js';
import { enqueue } from '../core/queue/enqueue.js';
import { srsForward } from '../core/queue/srs.js';
import { createSmtpService } from '../smtp/server.js';
import { createImapHandler } from '../imap/server.js';

export interface ProtocolSet {
  handlers: Partial<Record<keyof Config['listen'], (conn: Connection) => void>>;
  hooks: DeliveryHooks;
  close(): Promise<void>;
}

/** The SRS secret: configured, or generated once into the data directory and kept. */
export function srsSecret(config: Config): string {
  if (config.smtp.srs_secret) return config.smtp.srs_secret;
  const file = join(config.data_dir, 'srs.secret');
  if (!existsSync(file)) {
    mkdirSync(config.data_dir, { recursive: true });
    writeFileSync(file, randomBytes(24).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(file, 'utf8').trim();
}

export async function protocolHandlers(core: Core, config: Config, tls: TlsMaterial): Promise<ProtocolSet> {
  const resolve = createResolver(config.dns.servers);
  const secret = srsSecret(config);
  const hooks: DeliveryHooks = {
    spam: noSpamCheck,
    filter: implicitKeep,
    async forward(c, req) {
      // SRS keeps SPF passing at the far end; the null sender stays null (no bounce to a bounce).
      const sender = req.originalSender
        ? srsForward(req.originalSender, { secret, domain: c.hostname, now: c.now() })
        : '';
      await enqueue(c, {
        sender,
        recipients: req.to,
        raw: req.raw,
        sign: false,
        meta: { kind: 'forward', from: req.via },
      });
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
    sendOut: (req) =>
      enqueue(core, {
        sender: req.sender,
        recipients: req.recipients,
        raw: req.raw,
        meta: { kind: 'message', from: req.account?.address ?? req.sender, messageId: req.messageId },
      }),
    async retryLocal(req) {
      await enqueue(core, {
        sender: req.sender,
        recipients: req.recipients,
        raw: req.raw,
        sign: false,
        meta: { kind: 'message', messageId: req.messageId },
      });
    },
  });
  const imap = createImapHandler(core, { maxMessageSize: config.smtp.max_message_size });
  return {
    handlers: {
      smtp: smtp.handlers.smtp,
      submission: smtp.handlers.submission,
      submissions: smtp.handlers.submissions,
      imap,
      imaps: imap,
    },
    hooks,
    async close() {
      imap.close();
      await smtp.close();
    },
  };
}
