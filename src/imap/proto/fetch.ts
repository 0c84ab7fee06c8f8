// FETCH arguments (RFC 9051 §6.4.5): macros, data items, BODY[section]<partial>, BINARY (RFC 3516),
// MODSEQ and the CHANGEDSINCE/VANISHED modifiers (RFC 7162 §3.1.4, §3.2.6).
import { ArgError, ArgReader } from './args.js';
import type { SequenceSet } from './sequence.js';
import type { Token } from './tokens.js';

export interface Section {
  /** Part path, e.g. [1, 2] for "1.2"; empty for the whole message. */
  path: number[];
  /** What of the addressed part: the whole body, its header (or a subset), its text, or its MIME header. */
  what: 'all' | 'header' | 'header.fields' | 'header.fields.not' | 'text' | 'mime';
  fields: string[];
}

export type FetchItem =
  | { kind: 'flags' }
  | { kind: 'uid' }
  | { kind: 'internaldate' }
  | { kind: 'rfc822.size' }
  | { kind: 'rfc822' }
  | { kind: 'rfc822.header' }
  | { kind: 'rfc822.text' }
  | { kind: 'envelope' }
  | { kind: 'body' }
  | { kind: 'bodystructure' }
  | { kind: 'modseq' }
  | {
      kind: 'section';
      binary: boolean;
      peek: boolean;
      section: Section;
      /** The section spec exactly as the response must echo it ("HEADER.FIELDS (FROM)"). */
      label: string;
      partial: { offset: number; length: number } | null;
    }
  | { kind: 'binary.size'; section: Section; label: string };

export interface FetchArgs {
  set: SequenceSet;
  items: FetchItem[];
  changedSince: number | null;
  vanished: boolean;
}

const MACROS: Record<string, string[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

const SIMPLE: Record<string, FetchItem> = {
  FLAGS: { kind: 'flags' },
  UID: { kind: 'uid' },
  INTERNALDATE: { kind: 'internaldate' },
  'RFC822.SIZE': { kind: 'rfc822.size' },
  RFC822: { kind: 'rfc822' },
  'RFC822.HEADER': { kind: 'rfc822.header' },
  'RFC822.TEXT': { kind: 'rfc822.text' },
  ENVELOPE: { kind: 'envelope' },
  BODY: { kind: 'body' },
  BODYSTRUCTURE: { kind: 'bodystructure' },
  MODSEQ: { kind: 'modseq' },
};

export function parseFetch(tokens: readonly Token[]): FetchArgs {
  const r = new ArgReader(tokens);
  const set = r.sequenceSet();
  const t = r.take();
  let words: Token[];
  if (t.kind === 'list') words = t.items;
  else if (t.kind === 'atom' && MACROS[t.value.toUpperCase()]) {
    words = MACROS[t.value.toUpperCase()]!.map((value) => ({ kind: 'atom', value }));
  } else words = [t];
  if (words.length === 0) throw new ArgError('Empty fetch list');
  const items = words.map(parseItem);
  let changedSince: number | null = null;
  let vanished = false;
  const mods = r.optionalList();
  if (mods) {
    const m = new ArgReader(mods);
    while (!m.done) {
      const w = m.atom().toUpperCase();
      if (w === 'CHANGEDSINCE') changedSince = m.number64();
      else if (w === 'VANISHED') vanished = true;
      else throw new ArgError(`Unknown FETCH modifier ${w.slice(0, 40)}`);
    }
  }
  r.end();
  return { set, items, changedSince, vanished };
}

function parseItem(t: Token): FetchItem {
  if (t.kind !== 'atom') throw new ArgError('Invalid fetch item');
  const upper = t.value.toUpperCase();
  const simple = SIMPLE[upper];
  if (simple) return simple;
  const m =
    /^(BODY|BODY\.PEEK|BINARY|BINARY\.PEEK|BINARY\.SIZE)\[([^\]]*)\](?:<(\d{1,10})\.(\d{1,10})>)?$/i.exec(
      t.value,
    );
  if (!m) throw new ArgError(`Invalid fetch item ${upper.slice(0, 40)}`);
  const name = m[1]!.toUpperCase();
  const binary = name.startsWith('BINARY');
  const section = parseSection(m[2]!, binary);
  const label = sectionLabel(section);
  if (name === 'BINARY.SIZE') {
    if (m[3] !== undefined) throw new ArgError('BINARY.SIZE takes no partial');
    return { kind: 'binary.size', section, label };
  }
  const partial = m[3] !== undefined ? { offset: Number(m[3]), length: Number(m[4]) } : null;
  return { kind: 'section', binary, peek: name.endsWith('.PEEK'), section, label, partial };
}

export function parseSection(spec: string, binary: boolean): Section {
  const s = spec.trim();
  const path: number[] = [];
  let rest = s;
  for (;;) {
    const m = /^([1-9]\d{0,5})(?:\.|$)/.exec(rest);
    if (!m) break;
    path.push(Number(m[1]));
    rest = rest.slice(m[0].length);
  }
  if (binary) {
    if (rest !== '') throw new ArgError('BINARY takes part numbers only');
    return { path, what: 'all', fields: [] };
  }
  const up = rest.toUpperCase();
  if (up === '') {
    if (s.endsWith('.')) throw new ArgError('Invalid section');
    return { path, what: 'all', fields: [] };
  }
  if (up === 'HEADER') return { path, what: 'header', fields: [] };
  if (up === 'TEXT') return { path, what: 'text', fields: [] };
  if (up === 'MIME') {
    if (path.length === 0) throw new ArgError('MIME needs a part number');
    return { path, what: 'mime', fields: [] };
  }
  const f = /^HEADER\.FIELDS(\.NOT)?\s+\(([^()]*)\)$/i.exec(rest);
  if (f) {
    const fields = f[2]!
      .trim()
      .split(/\s+/)
      .filter((x) => x.length > 0)
      .map((x) => x.replace(/^"(.*)"$/, '$1'));
    if (fields.length === 0) throw new ArgError('Empty header field list');
    if (!fields.every((x) => /^[\x21-\x39\x3b-\x7e]+$/.test(x)))
      throw new ArgError('Invalid header field name');
    return { path, what: f[1] ? 'header.fields.not' : 'header.fields', fields };
  }
  throw new ArgError('Invalid section');
}

/** The section text as echoed in the response (RFC 9051 §7.5.2: field names as the client sent them, upper-cased). */
export function sectionLabel(s: Section): string {
  const path = s.path.join('.');
  const sep = path ? '.' : '';
  switch (s.what) {
    case 'all':
      return path;
    case 'header':
      return `${path}${sep}HEADER`;
    case 'text':
      return `${path}${sep}TEXT`;
    case 'mime':
      return `${path}${sep}MIME`;
    case 'header.fields':
      return `${path}${sep}HEADER.FIELDS (${s.fields.map((x) => x.toUpperCase()).join(' ')})`;
    case 'header.fields.not':
      return `${path}${sep}HEADER.FIELDS.NOT (${s.fields.map((x) => x.toUpperCase()).join(' ')})`;
  }
}
