// Message search for every protocol (IMAP SEARCH, webmail): a query over flags, dates, sizes, UIDs and
// MIME-decoded header and body text, evaluated folder by folder. Text matching is case-insensitive
// substring matching on decoded text (RFC 9051 §6.4.4 leaves the matching rules to the server).
import type { Core } from '../context.js';
import type { MailboxRecord, MessageRecord } from '../../store/ports.js';
import {
  bodyText,
  decodeEncodedWords,
  getFirstValue,
  parseAddressList,
  parseMessage,
  walkParts,
  type MimePart,
} from '../../mime/index.js';
import { iterateMessages, loadMessages } from './messages.js';

export type MessageQuery =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'and'; items: MessageQuery[] }
  | { kind: 'or'; items: MessageQuery[] }
  | { kind: 'not'; item: MessageQuery }
  /** Inclusive UID ranges. */
  | { kind: 'uids'; ranges: Array<[number, number]> }
  | { kind: 'flag'; flag: string; set: boolean }
  | { kind: 'date'; field: 'internal' | 'sent'; op: 'before' | 'on' | 'since'; date: number }
  | { kind: 'size'; op: 'larger' | 'smaller'; size: number }
  | { kind: 'header'; field: string; value: string }
  | { kind: 'body'; value: string }
  | { kind: 'text'; value: string }
  | { kind: 'modseq'; modseq: number }
  | { kind: 'age'; op: 'older' | 'younger'; seconds: number };

const DAY = 86_400_000;

interface Parsed {
  raw: Buffer;
  root: MimePart;
  headerText?: string;
  bodyText?: string;
}

class Candidate {
  private parsed: Promise<Parsed> | null = null;
  constructor(
    private readonly core: Core,
    readonly m: MessageRecord,
  ) {}

  content(): Promise<Parsed> {
    this.parsed ??= this.core.store.blobs
      .get(this.m.blobHash)
      .then((raw) => ({ raw, root: parseMessage(raw) }));
    return this.parsed;
  }
}

function needsContent(q: MessageQuery): boolean {
  switch (q.kind) {
    case 'header':
    case 'body':
    case 'text':
      return true;
    case 'date':
      return q.field === 'sent';
    case 'and':
    case 'or':
      return q.items.some(needsContent);
    case 'not':
      return needsContent(q.item);
    default:
      return false;
  }
}

function fold(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/\s+/g, ' ');
}

const ADDRESS_FIELDS = new Set(['from', 'to', 'cc', 'bcc', 'sender', 'reply-to', 'resent-from', 'resent-to']);

function headerValues(p: Parsed, field: string): string[] {
  const lower = field.toLowerCase();
  const out: string[] = [];
  for (const f of p.root.headers) {
    if (f.name.toLowerCase() !== lower) continue;
    out.push(decodeEncodedWords(f.value));
    // Address fields also match in their parsed form, comments and routes removed (as Dovecot does):
    // "<a (c)@ (c) b.org>" is found by FROM a@b.org.
    if (ADDRESS_FIELDS.has(lower)) {
      const addrs: string[] = [];
      for (const it of parseAddressList(f.value)) {
        const members = it.kind === 'group' ? it.members : [it];
        for (const m of members) addrs.push(m.name ? `${m.name} <${m.address}>` : m.address);
      }
      if (addrs.length > 0) out.push(addrs.join(', '));
    }
  }
  return out;
}

function allHeaderText(p: Parsed): string {
  p.headerText ??= fold(p.root.headers.map((f) => `${f.name}: ${decodeEncodedWords(f.value)}`).join('\n'));
  return p.headerText;
}

function allBodyText(p: Parsed): string {
  if (p.bodyText === undefined) {
    const texts: string[] = [];
    for (const part of walkParts(p.root)) {
      if (part.children.length > 0 || part.message) continue;
      const t = part.contentType.type;
      if (t === 'text' || (t === 'message' && !part.message)) texts.push(bodyText(p.raw, part));
    }
    // Headers of attached messages are body text for the enclosing message (RFC 9051 §6.4.4 BODY).
    for (const part of walkParts(p.root)) {
      if (part.message)
        texts.push(part.message.headers.map((f) => `${f.name}: ${decodeEncodedWords(f.value)}`).join('\n'));
    }
    p.bodyText = fold(texts.join('\n'));
  }
  return p.bodyText;
}

/** The Date header's calendar day in the sender's own time zone, as UTC-midnight ms (RFC 9051 SENTON). */
function sentDay(p: Parsed): number | null {
  const v = getFirstValue(p.root.headers, 'date');
  if (!v) return null;
  const ms = Date.parse(v.replace(/\([^)]*\)/g, '').trim());
  if (Number.isNaN(ms)) return null;
  const tz = /([+-])(\d{2})(\d{2})\s*$/.exec(v.replace(/\([^)]*\)/g, '').trim());
  const offset = tz ? (tz[1] === '-' ? -1 : 1) * (Number(tz[2]) * 60 + Number(tz[3])) * 60_000 : 0;
  return Math.floor((ms + offset) / DAY) * DAY;
}

function compareDay(day: number, op: 'before' | 'on' | 'since', date: number): boolean {
  if (op === 'before') return day < date;
  if (op === 'on') return day === date;
  return day >= date;
}

async function matches(q: MessageQuery, c: Candidate, now: number): Promise<boolean> {
  const m = c.m;
  switch (q.kind) {
    case 'all':
      return true;
    case 'none':
      return false;
    case 'and':
      for (const i of q.items) if (!(await matches(i, c, now))) return false;
      return true;
    case 'or':
      for (const i of q.items) if (await matches(i, c, now)) return true;
      return false;
    case 'not':
      return !(await matches(q.item, c, now));
    case 'uids':
      for (const [a, b] of q.ranges) if (m.uid >= a && m.uid <= b) return true;
      return false;
    case 'flag': {
      const lower = q.flag.toLowerCase();
      const has = q.flag.startsWith('\\')
        ? m.flags.some((f) => f.toLowerCase() === lower)
        : m.flags.includes(q.flag);
      return has === q.set;
    }
    case 'size':
      return q.op === 'larger' ? m.size > q.size : m.size < q.size;
    case 'modseq':
      return m.modseq >= q.modseq;
    case 'age': {
      const age = (now - m.internalDate) / 1000;
      return q.op === 'older' ? age >= q.seconds : age < q.seconds;
    }
    case 'date': {
      if (q.field === 'internal') return compareDay(Math.floor(m.internalDate / DAY) * DAY, q.op, q.date);
      const day = sentDay(await c.content());
      // A message without a usable Date header is compared by its internal date (as Dovecot does).
      return compareDay(day ?? Math.floor(m.internalDate / DAY) * DAY, q.op, q.date);
    }
    case 'header': {
      const p = await c.content();
      const values = headerValues(p, q.field);
      if (q.value === '') return values.length > 0;
      const needle = fold(q.value);
      return values.some((v) => fold(v).includes(needle));
    }
    case 'body':
      return allBodyText(await c.content()).includes(fold(q.value));
    case 'text': {
      const p = await c.content();
      const needle = fold(q.value);
      return allHeaderText(p).includes(needle) || allBodyText(p).includes(needle);
    }
  }
}

export interface SearchOptions {
  /** Only these UIDs are candidates (e.g. the messages a session knows about). */
  uids?: readonly number[];
}

/** UIDs (ascending) of the folder's messages matching the query. */
export async function searchMessages(
  core: Core,
  box: MailboxRecord,
  query: MessageQuery,
  opts: SearchOptions = {},
): Promise<{ uids: number[]; modseqs: number[]; highestModseq: number }> {
  const now = core.now();
  const out: number[] = [];
  const modseqs: number[] = [];
  let highestModseq = 0;
  const content = needsContent(query);
  const consider = async (m: MessageRecord) => {
    const c = new Candidate(core, m);
    if (await matches(query, c, now)) {
      out.push(m.uid);
      modseqs.push(m.modseq);
      if (m.modseq > highestModseq) highestModseq = m.modseq;
    }
  };
  if (opts.uids) {
    const list = await loadMessages(core, box.id, opts.uids);
    for (const m of list) await consider(m);
  } else {
    for await (const m of iterateMessages(core, box.id, content ? 200 : 2000)) await consider(m);
  }
  return { uids: out, modseqs, highestModseq };
}
