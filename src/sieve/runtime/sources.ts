/**
 * Where header-reading tests get their values from: the (editable) message header, or
 * with the mime extension a MIME part (the one foreverypart is visiting, or all parts
 * with :anychild). Also address-part extraction shared by address and envelope.
 */
import {
  decodeEncodedWords,
  flattenAddresses,
  parseAddressList,
  parseContentType,
  parseParams,
  type MimePart,
} from '../../mime/index.js';
import type { CNode } from '../types.js';
import type { Runtime } from './runtime.js';

export interface HeaderSource {
  /** Decoded values of all fields with this name, in order. */
  values(name: string): string[];
  /** Raw unfolded values. */
  rawValues(name: string): string[];
}

function partSource(part: MimePart): HeaderSource {
  const raw = (name: string): string[] => {
    const l = name.toLowerCase();
    return part.headers.filter((h) => h.name.toLowerCase() === l).map((h) => h.value);
  };
  return {
    rawValues: raw,
    values: (name) => raw(name).map((v) => decodeEncodedWords(v).replace(/[ \t]+$/, '')),
  };
}

export const FOREVERYPART_STATE = 'foreverypart.current';

/** The part foreverypart is visiting, if any. */
export function currentPart(rt: Runtime): MimePart | undefined {
  const stack = rt.state.get(FOREVERYPART_STATE) as MimePart[] | undefined;
  return stack?.[stack.length - 1];
}

function descendants(p: MimePart): MimePart[] {
  const out: MimePart[] = [];
  for (const c of p.children) out.push(c, ...descendants(c));
  if (p.message) out.push(p.message, ...descendants(p.message));
  return out;
}

export function headerSources(rt: Runtime, node: CNode): readonly HeaderSource[] {
  // The message is itself a source (values/rawValues); no per-call closures.
  const message: HeaderSource = rt.message;
  const own = [message];
  if (node.tags['mime'] === undefined) return own;
  const cur = currentPart(rt);
  const base = cur ?? rt.message.root;
  const first = cur ? partSource(cur) : message;
  if (node.tags['anychild'] === undefined) return [first];
  return [first, ...descendants(base).map(partSource)];
}

/** Apply :index/:last (index extension) to one header's values. */
export function applyIndex(node: CNode, values: string[]): string[] {
  const idx = node.tags['index'];
  if (typeof idx !== 'number') return values;
  const i = node.tags['last'] !== undefined ? values.length - idx : idx - 1;
  const v = values[i];
  return v === undefined || i < 0 ? [] : [v];
}

/** Values of mime :type/:subtype/:contenttype/:param for Content-Type / Content-Disposition fields. */
export function mimeOptionValues(rt: Runtime, node: CNode, header: string, values: string[]): string[] {
  const h = header.toLowerCase();
  const opt = ['type', 'subtype', 'contenttype', 'param'].find((o) => node.tags[o] !== undefined);
  if (!opt) return values;
  if (opt === 'param') {
    if (h !== 'content-type' && h !== 'content-disposition') return [];
    const names = rt.expand(node.tags['param']).map((n) => n.toLowerCase());
    const out: string[] = [];
    for (const v of values) {
      const semi = v.indexOf(';');
      const params = semi < 0 ? {} : parseParams(v, semi);
      for (const n of names) if (params[n] !== undefined) out.push(params[n]);
    }
    return out;
  }
  if (h === 'content-disposition') {
    return values.map((v) => {
      const t = v.split(';')[0]!.trim().toLowerCase();
      return opt === 'subtype' ? '' : t;
    });
  }
  if (h !== 'content-type') return [];
  return values.map((v) => {
    const ct = parseContentType(v, '/');
    if (!ct.type) return '';
    return opt === 'type' ? ct.type : opt === 'subtype' ? ct.subtype : `${ct.type}/${ct.subtype}`;
  });
}

export type AddressPart = 'all' | 'localpart' | 'domain' | 'user' | 'detail';

export function addressPartOf(node: CNode): AddressPart {
  for (const p of ['localpart', 'domain', 'user', 'detail'] as const)
    if (node.tags[p] !== undefined) return p;
  return 'all';
}

export interface SieveAddress {
  readonly local: string;
  readonly domain: string;
  /** Full text when it could not be parsed as an address. */
  readonly invalid?: string;
}

/**
 * Parse header values into addresses the way Pigeonhole does: entries that are not valid
 * addresses are skipped, and a value with no valid entry at all yields one invalid entry
 * (its full text, matched by `:all` only). As in Dovecot's `smtp_address_init_from_msg`, a
 * local part must be ASCII to count as an address.
 */
export function headerAddresses(
  values: readonly string[],
  /** Per-message cache (SieveMessage.valueCache): the same From is read by many rules. */
  cache?: Map<string, unknown>,
): SieveAddress[] {
  const out: SieveAddress[] = [];
  for (const v of values) {
    let entries = cache?.get(v) as readonly SieveAddress[] | undefined;
    if (!entries) {
      const all = flattenAddresses(parseAddressList(v));
      const valid = all.filter((a) => a.valid && a.domain !== '' && /^[\x00-\x7f]+$/.test(a.local));
      entries =
        valid.length > 0
          ? valid.map((a) => ({ local: a.local, domain: a.domain }))
          : [{ local: '', domain: '', invalid: v.trim() }];
      cache?.set(v, entries);
    }
    for (const e of entries) out.push(e);
  }
  return out;
}

function quoteLocal(local: string): string {
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\uffff-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\uffff-]+)*$/.test(
    local,
  )
    ? local
    : `"${local.replace(/(["\\])/g, '\\$1')}"`;
}

/** The requested part of an address; null when the part does not exist (e.g. no detail). */
export function addressPart(rt: Runtime, a: SieveAddress, part: AddressPart): string | null {
  if (a.invalid !== undefined) return part === 'all' ? a.invalid : null;
  const delims = rt.options.recipientDelimiter ?? '+';
  switch (part) {
    case 'all':
      return a.domain === '' ? quoteLocal(a.local) : `${quoteLocal(a.local)}@${a.domain}`;
    case 'localpart':
      return a.local;
    case 'domain':
      return a.domain;
    case 'user': {
      const i = [...delims].map((d) => a.local.indexOf(d)).filter((x) => x >= 0);
      return i.length ? a.local.slice(0, Math.min(...i)) : a.local;
    }
    case 'detail': {
      const i = [...delims].map((d) => a.local.indexOf(d)).filter((x) => x >= 0);
      return i.length ? a.local.slice(Math.min(...i) + 1) : null;
    }
  }
}
