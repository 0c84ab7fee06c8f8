// SPF, DKIM, DMARC and ARC on arrival (RFC 7208, 6376, 7489, 8617), through mailauth and our one
// resolver. The verdict decides: DMARC p=reject failures are refused at the end of DATA, quarantine
// goes to Junk; the Authentication-Results header records it for the user and for Sieve.
import type { DnsResolve } from '../dns/resolver.js';

export interface AuthVerdict {
  /** "Authentication-Results: ..." (and ARC/Received-SPF fields), CRLF-terminated, to prepend. */
  headers: string;
  spf: string;
  dkim: string;
  dmarc: string;
  arc: string;
  /** The DMARC policy that applies to a failing message: 'reject' | 'quarantine' | 'none'. */
  dmarcPolicy: 'reject' | 'quarantine' | 'none';
  /** Domain in the From header, as DMARC saw it. */
  fromDomain: string;
}

export async function checkMessageAuth(
  raw: Buffer,
  opts: { ip: string; helo: string; sender: string; hostname: string; resolve: DnsResolve },
): Promise<AuthVerdict> {
  // Loaded at the first arrival, not at start: mailauth brings undici, joi and an X.509 stack
  // (~200 modules, ~10 MB of heap) that a server only reading mail never needs.
  const { authenticate } = await import('mailauth');
  const r = await authenticate(raw, {
    ip: opts.ip,
    helo: opts.helo,
    sender: opts.sender,
    mta: opts.hostname,
    resolver: opts.resolve as never,
    disableBimi: true,
  });
  const dkim = r.dkim.results?.length ? r.dkim.results.map((x) => x.status.result).join(',') : 'none';
  const dmarc = r.dmarc ? r.dmarc.status.result : 'none';
  let policy: AuthVerdict['dmarcPolicy'] = 'none';
  if (r.dmarc && r.dmarc.status.result === 'fail') {
    const p = (r.dmarc.policy || r.dmarc.p || 'none').toLowerCase();
    // pct < 100 means "apply to that share": a sampled message is treated by the next policy down
    const sampled = r.dmarc.pct === undefined || r.dmarc.pct >= 100 || Math.random() * 100 < r.dmarc.pct;
    if (p === 'reject') policy = sampled ? 'reject' : 'quarantine';
    else if (p === 'quarantine') policy = sampled ? 'quarantine' : 'none';
  }
  return {
    headers: r.headers,
    spf: r.spf ? r.spf.status.result : 'none',
    dkim,
    dmarc,
    arc: r.arc ? r.arc.status.result : 'none',
    dmarcPolicy: policy,
    fromDomain: r.dmarc ? r.dmarc.domain : '',
  };
}
