// RFC 5321/5322 mailbox addresses as the directory and SMTP see them: split, validated and
// normalised once (lower-case, NFC local part; punycode lower-case domain), so every protocol
// compares the same strings. Pure: no I/O.
import { domainToASCII, domainToUnicode } from 'node:url';

export interface ParsedAddress {
  /** Local part as written (for display and for forwarding to other hosts). */
  localRaw: string;
  /** Normalised local part: NFC, lower-case (our local parts are case-insensitive). */
  local: string;
  /** ASCII (punycode) lower-case domain. */
  domain: string;
  /** The domain in Unicode, for display. */
  domainUnicode: string;
}

const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\uffff]+$/u;

/** A dot-atom local part (RFC 5322 §3.4.1), UTF-8 allowed (RFC 6531); quoted local parts are refused. */
export function isValidLocalPart(local: string): boolean {
  if (local.length === 0 || Buffer.byteLength(local, 'utf8') > 64) return false;
  return local.split('.').every((atom) => atom.length > 0 && ATEXT.test(atom));
}

/** Converts a domain to its ASCII lower-case form; undefined when it is not a valid host name. */
export function normaliseDomain(domain: string): string | undefined {
  let d = domain.trim().replace(/\.$/, '');
  if (d.length === 0 || d.length > 253) return undefined;
  if (d.startsWith('[')) return undefined; // address literals are never one of our domains
  d = domainToASCII(d.normalize('NFC').toLowerCase());
  if (!d) return undefined;
  const labels = d.split('.');
  if (labels.length < 2) return undefined;
  for (const l of labels) {
    if (l.length === 0 || l.length > 63) return undefined;
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(l)) return undefined;
  }
  return d;
}

export function normaliseLocalPart(local: string): string {
  return local.normalize('NFC').toLowerCase();
}

/**
 * Parses "local@domain". Refuses everything a relay trick needs: a second '@', '%' routing, quoted
 * local parts, source routes ("@a:b@c"), address literals, empty parts.
 */
export function parseAddress(input: string): ParsedAddress | undefined {
  const s = input.trim();
  if (s.length === 0 || s.length > 320) return undefined;
  if (s.startsWith('@') || s.includes(':') || s.includes('"') || s.includes('%') || /\s/.test(s))
    return undefined;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return undefined;
  const localRaw = s.slice(0, at);
  const domainRaw = s.slice(at + 1);
  if (localRaw.includes('@')) return undefined;
  if (!isValidLocalPart(localRaw)) return undefined;
  const domain = normaliseDomain(domainRaw);
  if (!domain) return undefined;
  return { localRaw, local: normaliseLocalPart(localRaw), domain, domainUnicode: domainToUnicode(domain) };
}

/** The canonical text form of an address: normalised local part @ ASCII domain. */
export function formatAddress(local: string, domain: string): string {
  return `${local}@${domain}`;
}

/** Splits a subaddress "user+detail" into its parts (RFC 5233); the separator is '+'. */
export function splitDetail(local: string): { user: string; detail: string | null } {
  const i = local.indexOf('+');
  if (i <= 0) return { user: local, detail: null };
  return { user: local.slice(0, i), detail: local.slice(i + 1) };
}
