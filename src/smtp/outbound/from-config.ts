// The outbound side as the configuration describes it: the Transport (MX or smarthost, resolver
// from `[dns] servers`), the queue timing and the SRS secret. Used by the composition root.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createResolver, type DnsResolve } from '../../core/dns/resolver.js';
import type { Transport } from '../../core/queue/transport.js';
import type { Config } from '../../server/config.js';
import { createOutboundTransport, type Smarthost } from './mx-transport.js';

/** "host", "host:port" or "[v6]:port"; the default port is 25. */
export function parseSmarthost(s: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 25 };
  const i = s.lastIndexOf(':');
  if (i > 0 && /^\d+$/.test(s.slice(i + 1))) return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
  return { host: s, port: 25 };
}

export function outboundTransportFromConfig(
  config: Config,
  opts: { resolve?: DnsResolve; log?: Logger } = {},
): Transport {
  const s = config.smtp;
  let smarthost: Smarthost | undefined;
  if (s.smarthost) {
    smarthost = {
      ...parseSmarthost(s.smarthost),
      ...(s.smarthost_user ? { user: s.smarthost_user, pass: s.smarthost_password } : {}),
    };
  }
  return createOutboundTransport({
    resolve: opts.resolve ?? createResolver(config.dns.servers),
    heloName: config.hostname,
    port: s.outbound_port,
    ...(smarthost ? { smarthost } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}

/** Queue timing from `[smtp]` (seconds there, milliseconds for the worker). */
export function queueTimingFromConfig(config: Config): { lifetimeMs: number; delayNoticeMs: number } {
  return {
    lifetimeMs: config.smtp.queue_lifetime * 1000,
    delayNoticeMs: config.smtp.delay_notice_after * 1000,
  };
}

/**
 * The SRS secret: the configured one, or one generated once into `<data_dir>/srs-secret` so
 * addresses handed out before a restart still reverse after it.
 */
export function srsSecretFromConfig(config: Config): string {
  if (config.smtp.srs_secret) return config.smtp.srs_secret;
  const file = join(config.data_dir, 'srs-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(24).toString('base64url');
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // another process created it first: use theirs
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw e;
  }
  return secret;
}
