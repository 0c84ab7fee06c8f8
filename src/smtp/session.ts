// What an SMTP session carries from its first command to the end of DATA, shared by the MX and
// submission handlers (apart from server.ts, so the handlers never import the server).
import { randomBytes } from 'node:crypto';
import type { SMTPServerAddress, SMTPServerSession } from 'smtp-server';
import type { Core } from '../core/context.js';
import type { DnsResolve } from '../core/dns/resolver.js';
import type { DeliveryHooks } from '../core/delivery/hooks.js';
import type { DsnRequest } from '../core/queue/meta.js';
import type { Account } from '../core/directory/accounts.js';
import type { Resolution } from '../core/directory/resolve.js';

export interface SmtpOptions {
  hostname: string;
  maxMessageSize: number;
  maxRecipients: number;
  maxReceivedHeaders: number;
  idleTimeoutMs: number;
  tls: { key: string; cert: string };
  resolve: DnsResolve;
  hooks: DeliveryHooks;
  /** Queues a message for remote recipients (DKIM-signed); resolves once it is durable. */
  sendOut: (req: {
    sender: string;
    recipients: string[];
    raw: Buffer;
    account: Account | null;
    messageId: string;
    dsn: DsnRequest | undefined;
  }) => Promise<string>;
  /** Retries local deliveries that failed temporarily, after we answered 250 (durable). */
  retryLocal: (req: {
    sender: string;
    recipients: string[];
    raw: Buffer;
    messageId: string;
  }) => Promise<void>;
}

export type Mode = 'mx' | 'submission';

/** What a session learned before DATA, kept beside the library's session object. */
export interface SessionState {
  mode: Mode;
  account: Account | null;
  /** RCPT TO address -> its resolution (local ones only on the MX). */
  recipients: Map<string, Resolution>;
  /** RCPT commands accepted in this transaction, duplicates included (the limit counts commands). */
  rcptCount: number;
}

export interface DataContext {
  core: Core;
  opts: SmtpOptions;
  session: SMTPServerSession;
  state: SessionState;
  raw: Buffer;
}

/** RFC 3848 "with" protocol names: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA. */
export function protocolName(session: SMTPServerSession): string {
  if (session.openingCommand === 'HELO') return 'SMTP';
  return `ESMTP${session.secure ? 'S' : ''}${session.user ? 'A' : ''}`;
}

export function tlsInfo(session: SMTPServerSession): string | undefined {
  const c = session.tlsOptions as { name?: string; version?: string } | false | undefined;
  return c ? [c.version, c.name].filter(Boolean).join(' ') || undefined : undefined;
}

export function newQueueId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

/** RFC 3461 parameters given with MAIL and RCPT, as the queue keeps them. */
export function dsnOf(session: SMTPServerSession, recipients: string[]): DsnRequest | undefined {
  const env = session.envelope as SMTPServerSession['envelope'] & {
    dsn?: { ret: string | null; envid: string | null };
  };
  const rcpts = session.envelope.rcptTo as Array<
    SMTPServerAddress & { dsn?: { notify?: string[]; orcpt?: string } }
  >;
  const wanted = new Set(recipients.map((r) => r.toLowerCase()));
  const dsn: DsnRequest = {};
  if (env.dsn?.ret === 'FULL' || env.dsn?.ret === 'HDRS') dsn.ret = env.dsn.ret;
  if (env.dsn?.envid) dsn.envid = env.dsn.envid;
  for (const r of rcpts) {
    if (!wanted.has(r.address.toLowerCase()) || !r.dsn) continue;
    if (r.dsn.notify && !dsn.notify) dsn.notify = r.dsn.notify as DsnRequest['notify'];
    if (r.dsn.orcpt) (dsn.orcpt ??= {})[r.address.toLowerCase()] = r.dsn.orcpt;
  }
  return Object.keys(dsn).length ? dsn : undefined;
}

/** The RCPT's RFC 3461 NOTIFY and ORCPT, as the client gave them (undefined = default). */
export function rcptDsn(
  session: SMTPServerSession,
  recipient: string,
): { notify?: string[]; orcpt?: string } | undefined {
  const rcpts = session.envelope.rcptTo as Array<
    SMTPServerAddress & { dsn?: { notify?: string[]; orcpt?: string } }
  >;
  return rcpts.find((r) => r.address.toLowerCase() === recipient.toLowerCase())?.dsn;
}
