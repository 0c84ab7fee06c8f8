// The capability listing (RFC 5804 §1.7), sent in the greeting, after STARTTLS and for CAPABILITY.
// SASL is empty until TLS is on: PLAIN sends the password, so it is not offered in clear text.
import { builtinCapabilities } from '../sieve/index.js';
import { msString } from './proto/response.js';

export interface CapabilityInput {
  implementation: string;
  secure: boolean;
  canStartTls: boolean;
  maxRedirects: number;
  /** The logged-in user (OWNER, RFC 5804 §1.7), once authenticated. */
  owner?: string;
}

const SIEVE_EXTENSIONS = builtinCapabilities().join(' ');

export function capabilityLines(c: CapabilityInput): string[] {
  const out: Array<[string, string?]> = [
    ['IMPLEMENTATION', c.implementation],
    ['SASL', c.secure ? 'PLAIN' : ''],
    ['SIEVE', SIEVE_EXTENSIONS],
  ];
  if (c.canStartTls && !c.secure) out.push(['STARTTLS']);
  out.push(['NOTIFY', 'mailto'], ['MAXREDIRECTS', String(c.maxRedirects)]);
  if (c.owner !== undefined) out.push(['OWNER', c.owner]);
  out.push(['UNAUTHENTICATE'], ['VERSION', '1.0']);
  return out.map(([k, v]) => (v === undefined ? msString(k) : `${msString(k)} ${msString(v)}`));
}
