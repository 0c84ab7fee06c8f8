// The outbound Transport: direct delivery to a domain's MX hosts (RFC 5321 §5.1), or everything
// through a smarthost. Names are resolved with OUR resolver (configurable `[dns] servers`), never
// the system's, so routing is what the configuration says and tests stay on loopback.
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { lookupMx, type DnsResolve } from '../../core/dns/resolver.js';
import type { RecipientResult, Transport } from '../../core/queue/transport.js';
import { runSession, type SessionOptions, type SessionTarget } from './smtp-session.js';

export interface Smarthost {
  host: string;
  port: number;
  user?: string;
  pass?: string;
  /** Check the smarthost's certificate (default true: we know whom we talk to). */
  verifyCertificate?: boolean;
}

export interface OutboundOptions {
  resolve: DnsResolve;
  /** Our host name, for EHLO. */
  heloName: string;
  /** Port of the MX hosts: 25 in production, a loopback test server's port in tests. */
  port?: number;
  smarthost?: Smarthost;
  connectTimeoutMs?: number;
  greetingTimeoutMs?: number;
  socketTimeoutMs?: number;
  /** Recipients per SMTP transaction (RFC 5321 §4.5.3.1.8: servers take at least 100). */
  maxRecipients?: number;
  log?: Logger;
}

const LOOPBACK = /^(127\.|::1$|localhost$)/i;

function dnsCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** IPv4 addresses first (the common case), IPv6 when a host has only those. */
async function addressesOf(resolve: DnsResolve, host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  const out: string[] = [];
  for (const type of ['A', 'AAAA']) {
    try {
      out.push(...((await resolve(host, type)) as string[]));
    } catch {
      /* no such records: try the other family */
    }
    if (out.length > 0) break;
  }
  return out;
}

export function createOutboundTransport(opts: OutboundOptions): Transport {
  const session: SessionOptions = {
    heloName: opts.heloName,
    connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
    // RFC 5321 §4.5.3.2 asks for 5 minutes on greeting and replies; a dead host must not hold
    // the lease that long, so connecting is cut shorter
    greetingTimeoutMs: opts.greetingTimeoutMs ?? 120_000,
    socketTimeoutMs: opts.socketTimeoutMs ?? 300_000,
  };
  const maxRecipients = opts.maxRecipients ?? 100;
  const port = opts.port ?? 25;

  const all = (
    recipients: string[],
    status: RecipientResult['status'],
    code: number,
    text: string,
  ): RecipientResult[] => recipients.map((recipient) => ({ recipient, status, code, text }));

  /** The hosts to try, best first, or a verdict for every recipient. */
  async function targets(domain: string, recipients: string[]): Promise<SessionTarget[] | RecipientResult[]> {
    const sh = opts.smarthost;
    if (sh) {
      const addresses = await addressesOf(opts.resolve, sh.host);
      // an operator's relay may live outside our resolver's view: then the system resolves it
      const list = addresses.length > 0 ? addresses : [sh.host];
      return list.map((address) => ({
        address,
        port: sh.port,
        name: sh.host,
        secure: sh.port === 465,
        // credentials never travel in clear text, except to a relay on this machine
        requireTls: sh.port !== 465 && sh.user !== undefined && !LOOPBACK.test(sh.host),
        verifyCertificate: sh.verifyCertificate ?? true,
        ...(sh.user !== undefined ? { auth: { user: sh.user, pass: sh.pass ?? '' } } : {}),
      }));
    }
    let hosts: Awaited<ReturnType<typeof lookupMx>>;
    try {
      hosts = await lookupMx(opts.resolve, domain);
    } catch (e) {
      if (dnsCode(e) === 'ENOTFOUND')
        return all(recipients, 'perm', 550, `550 5.1.2 domain ${domain} does not exist`);
      return all(
        recipients,
        'temp',
        451,
        `451 4.4.3 DNS lookup of ${domain} failed (${dnsCode(e) ?? 'error'})`,
      );
    }
    // RFC 7505 §4.2: a null MX means the domain accepts no mail at all
    if (hosts === 'null-mx')
      return all(recipients, 'perm', 556, `556 5.1.10 domain ${domain} accepts no mail (null MX)`);
    const out: SessionTarget[] = [];
    for (const mx of hosts) {
      for (const address of await addressesOf(opts.resolve, mx.exchange)) {
        out.push({ address, port, name: mx.exchange });
      }
    }
    if (out.length === 0)
      return all(recipients, 'temp', 451, `451 4.4.4 no address for the mail hosts of ${domain}`);
    return out;
  }

  async function deliverChunk(domain: string, sender: string, recipients: string[], raw: Buffer) {
    const list = await targets(domain, recipients);
    if (list.length > 0 && 'recipient' in list[0]!) return list as RecipientResult[];
    let last = { code: 0, text: `no mail host of ${domain} answered` };
    for (const target of list as SessionTarget[]) {
      const outcome = await runSession(target, session, sender, recipients, raw);
      if (outcome.kind === 'done') return outcome.results;
      opts.log?.info(
        { domain, host: target.name, address: target.address, reply: outcome.text },
        'trying next host',
      );
      last = outcome;
    }
    // nobody took it: temporary, whatever the last host said (RFC 5321 §4.5.4.1 keeps retrying)
    return all(recipients, 'temp', last.code, last.text);
  }

  return {
    async deliver(domain, sender, recipients, raw) {
      const results: RecipientResult[] = [];
      for (let i = 0; i < recipients.length; i += maxRecipients) {
        results.push(...(await deliverChunk(domain, sender, recipients.slice(i, i + maxRecipients), raw)));
      }
      return results;
    },
  };
}
