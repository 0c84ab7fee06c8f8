// Sender Rewriting Scheme for forwarding: a message we forward keeps passing SPF at the far end
// because its envelope sender becomes an address of ours, and a bounce to that address can be
// turned back into the original sender. The format is the common libsrs2/Postfix one:
//
//   SRS0=HHHH=TT=orig-domain=orig-local@our-host                      (first forward)
//   SRS1=HHHH=first-host==HHHH=TT=orig-domain=orig-local@our-host     (forwarding an SRS0 address)
//
// HHHH: the first 4 base64 characters of HMAC-SHA1(secret, the rest, lower-cased), compared
// case-insensitively because local parts get case-folded on the way; TT: days since the epoch,
// modulo 1024, in two base32 characters, so a reversible address expires (21 days by default) and
// cannot be used as an open bounce relay forever.
import { createHmac, timingSafeEqual } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const DAY_MS = 86_400_000;
const HASH_LENGTH = 4;

export interface SrsOptions {
  /** The first secret signs; every secret verifies (rotation without breaking pending bounces). */
  secret: string | readonly string[];
  /** The domain of the rewritten addresses: ours, with an MX pointing at us. */
  domain: string;
  /** Days a rewritten address stays reversible. */
  maxAgeDays?: number;
  /** Clock, milliseconds since the epoch. */
  now?: number;
}

function secrets(o: SrsOptions): readonly string[] {
  const s = typeof o.secret === 'string' ? [o.secret] : o.secret;
  if (s.length === 0 || s.some((x) => x.length === 0)) throw new Error('SRS needs a non-empty secret');
  return s;
}

function hash(secret: string, parts: string[]): string {
  const h = createHmac('sha1', secret);
  for (const p of parts) h.update(p.toLowerCase());
  return h.digest('base64').slice(0, HASH_LENGTH);
}

function hashOk(o: SrsOptions, given: string, parts: string[]): boolean {
  const g = Buffer.from(given.toLowerCase());
  return secrets(o).some((s) => {
    const want = Buffer.from(hash(s, parts).toLowerCase());
    return want.length === g.length && timingSafeEqual(want, g);
  });
}

function today(o: SrsOptions): number {
  return Math.floor((o.now ?? Date.now()) / DAY_MS) % 1024;
}

function stamp(day: number): string {
  return BASE32[(day >> 5) & 31]! + BASE32[day & 31]!;
}

function stampAgeOk(o: SrsOptions, tt: string): boolean {
  if (tt.length !== 2) return false;
  const hi = BASE32.indexOf(tt[0]!.toUpperCase());
  const lo = BASE32.indexOf(tt[1]!.toUpperCase());
  if (hi < 0 || lo < 0) return false;
  const age = (today(o) - ((hi << 5) | lo) + 1024) % 1024;
  return age <= (o.maxAgeDays ?? 21);
}

function split(address: string): { local: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** SRS0/SRS1 followed by one of the separators libsrs2 accepts. */
const SRS0 = /^SRS0[=+-]/i;
const SRS1 = /^SRS1[=+-]/i;

export function isSrsAddress(address: string): boolean {
  return SRS0.test(address) || SRS1.test(address);
}

/**
 * The envelope sender to use when forwarding mail from `sender`. The null sender stays null
 * (a bounce is never rewritten into something that can bounce), and so does a sender of our own
 * SRS domain.
 */
export function srsForward(sender: string, o: SrsOptions): string {
  if (sender === '') return '';
  const p = split(sender);
  if (!p) return sender;
  if (p.domain.toLowerCase() === o.domain.toLowerCase()) return sender;
  const signer = secrets(o)[0]!;
  if (SRS1.test(p.local)) {
    // already forwarded twice: keep the first forwarder and the tail, re-sign for us
    const rest = p.local.slice(5);
    const m = /^[^=]*=([^=]+)=(.*)$/s.exec(rest);
    if (m) return `SRS1=${hash(signer, [m[1]!, m[2]!])}=${m[1]}=${m[2]}@${o.domain}`;
  }
  if (SRS0.test(p.local)) {
    // someone else's SRS0 address: point back at that host, which alone can reverse it
    const tail = p.local.slice(4);
    return `SRS1=${hash(signer, [p.domain, tail])}=${p.domain}=${tail}@${o.domain}`;
  }
  const tt = stamp(today(o));
  return `SRS0=${hash(signer, [tt, p.domain, p.local])}=${tt}=${p.domain}=${p.local}@${o.domain}`;
}

/**
 * The original address behind one of our SRS addresses, or undefined when it is not one, was
 * forged (bad hash) or expired: such mail is refused rather than relayed.
 */
export function srsReverse(address: string, o: SrsOptions): string | undefined {
  const p = split(address);
  if (!p || p.domain.toLowerCase() !== o.domain.toLowerCase()) return undefined;
  if (SRS0.test(p.local)) {
    const m = /^([^=]+)=([^=]+)=([^=]+)=(.+)$/s.exec(p.local.slice(5));
    if (!m) return undefined;
    const [, hh, tt, domain, local] = m as unknown as [string, string, string, string, string];
    if (!stampAgeOk(o, tt) || !hashOk(o, hh, [tt, domain, local])) return undefined;
    return `${local}@${domain}`;
  }
  if (SRS1.test(p.local)) {
    const m = /^([^=]+)=([^=]+)=(.+)$/s.exec(p.local.slice(5));
    if (!m) return undefined;
    const [, hh, host, tail] = m as unknown as [string, string, string, string];
    if (!hashOk(o, hh, [host, tail])) return undefined;
    return `SRS0${tail}@${host}`;
  }
  return undefined;
}
