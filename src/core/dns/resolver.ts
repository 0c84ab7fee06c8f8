// The one DNS resolver for SPF/DKIM/DMARC checks and MX lookups, with configurable servers so tests
// (and split-horizon deployments) point it at their own DNS. Shaped like node's dns.resolve, which
// is what mailauth expects.
import { Resolver } from 'node:dns/promises';

export type DnsResolve = (name: string, rrtype: string) => Promise<unknown>;

/** RFC 6761 special-use names: never sent to the public DNS. */
const SPECIAL_USE = /(^|\.)(test|example|invalid|localhost)\.?$/i;

function notFound(name: string): Error {
  // Answered for every lookup of a special-use name, several per message: no stack to capture.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const e = new Error(`queryTxt ENOTFOUND ${name}`) as NodeJS.ErrnoException;
  Error.stackTraceLimit = limit;
  e.code = 'ENOTFOUND';
  return e;
}

/**
 * `servers`: "ip" or "ip:port" entries; empty = the system's resolvers, which are never asked about
 * special-use names (they answer NXDOMAIN at once).
 */
export function createResolver(
  servers: string[],
  opts: { timeoutMs?: number; tries?: number } = {},
): DnsResolve {
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: opts.tries ?? 2 });
  if (servers.length) resolver.setServers(servers);
  const system = servers.length === 0;
  return async (name: string, rrtype: string) => {
    if (system && SPECIAL_USE.test(name)) throw notFound(name);
    switch (rrtype) {
      case 'MX':
        return resolver.resolveMx(name);
      case 'TXT':
        return resolver.resolveTxt(name);
      case 'A':
        return resolver.resolve4(name);
      case 'AAAA':
        return resolver.resolve6(name);
      case 'CNAME':
        return resolver.resolveCname(name);
      case 'PTR':
        return resolver.resolvePtr(name);
      case 'NS':
        return resolver.resolveNs(name);
      default:
        return resolver.resolve(name, rrtype);
    }
  };
}

export interface MxHost {
  exchange: string;
  priority: number;
}

/**
 * Hosts to try for a domain, best first (RFC 5321 §5.1): its MX records, or the domain itself when
 * it has none (implicit MX); a null MX (RFC 7505, "." at preference 0) means the domain takes no mail.
 */
export async function lookupMx(resolve: DnsResolve, domain: string): Promise<MxHost[] | 'null-mx'> {
  let mx: MxHost[];
  try {
    mx = (await resolve(domain, 'MX')) as MxHost[];
  } catch (e) {
    // no MX but the name exists: the domain itself is the implicit MX
    if ((e as NodeJS.ErrnoException).code === 'ENODATA') return [{ exchange: domain, priority: 0 }];
    throw e;
  }
  if (mx.length === 1 && (mx[0]!.exchange === '' || mx[0]!.exchange === '.')) return 'null-mx';
  if (mx.length === 0) return [{ exchange: domain, priority: 0 }];
  // equal preferences in random order (RFC 5321 §5.1)
  return mx
    .map((m) => ({ m, r: Math.random() }))
    .sort((a, b) => a.m.priority - b.m.priority || a.r - b.r)
    .map((x) => x.m);
}
