// SORT (RFC 5256 §3, RFC 5957 DISPLAYFROM/DISPLAYTO): orders a set of messages by criteria computed
// from their rows and header sections. Ties fall back to mailbox order (UID order here, which is the
// same as sequence order), whatever REVERSE says (RFC 5256 §3: "the order in the mailbox").
import type { Core } from '../context.js';
import type { MessageRecord } from '../../store/ports.js';
import {
  decodeEncodedWords,
  getFirstValue,
  parseAddressList,
  parseHeaderSection,
  type HeaderField,
} from '../../mime/index.js';
import { baseSubject } from './base-subject.js';
import { loadMessages } from './messages.js';

export type SortKey =
  'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

/** What SORT and THREAD need of one message. */
export interface MessageFacts {
  uid: number;
  size: number;
  internalDate: number;
  headers: HeaderField[];
}

const HEADER_LIMIT = 256 * 1024;

/** Rows and header sections of the given UIDs (ascending), read in batches. */
export async function loadFacts(core: Core, mailboxId: number, uids: readonly number[], headers: boolean) {
  const out: MessageFacts[] = [];
  for (let i = 0; i < uids.length; i += 500) {
    const rows: MessageRecord[] = await loadMessages(core, mailboxId, uids.slice(i, i + 500));
    for (const m of rows) {
      let fields: HeaderField[] = [];
      if (headers) {
        const raw = await core.store.blobs.get(m.blobHash);
        fields = parseHeaderSection(raw, 0, Math.min(raw.length, HEADER_LIMIT)).fields;
      }
      out.push({ uid: m.uid, size: m.size, internalDate: m.internalDate, headers: fields });
    }
  }
  return out;
}

/** The sent date (RFC 5256 §2.2): the Date header, or the internal date when it is missing or unparsable. */
export function sentDate(f: MessageFacts): number {
  const v = getFirstValue(f.headers, 'date');
  if (v) {
    const ms = Date.parse(v.replace(/\([^)]*\)/g, ' ').trim());
    if (!Number.isNaN(ms)) return ms;
  }
  return f.internalDate;
}

/** addr-mailbox of the first address (a group's name for a group), RFC 5256 §3. */
function firstMailbox(f: MessageFacts, field: string): string {
  const v = getFirstValue(f.headers, field);
  if (!v) return '';
  const first = parseAddressList(v)[0];
  if (!first) return '';
  if (first.kind === 'group') return first.name.toUpperCase();
  // An unparsable entry keeps its text as the mailbox part (as ENVELOPE shows it).
  return (first.local || (first.valid ? '' : first.address)).toUpperCase();
}

/** RFC 5957 §3: the display name of the first address, else its addr-spec. */
function displayName(f: MessageFacts, field: string): string {
  const v = getFirstValue(f.headers, field);
  if (!v) return '';
  const first = parseAddressList(v)[0];
  if (!first) return '';
  if (first.kind === 'group') return decodeEncodedWords(first.name).toUpperCase();
  const name = first.name.trim();
  return (
    name ||
    first.address ||
    (first.domain ? `${first.local}@${first.domain}` : first.local)
  ).toUpperCase();
}

function keyOf(f: MessageFacts, key: SortKey): string | number {
  switch (key) {
    case 'ARRIVAL':
      return f.internalDate;
    case 'SIZE':
      return f.size;
    case 'DATE':
      return sentDate(f);
    case 'SUBJECT':
      return baseSubject(getFirstValue(f.headers, 'subject')).key;
    case 'FROM':
      return firstMailbox(f, 'from');
    case 'TO':
      return firstMailbox(f, 'to');
    case 'CC':
      return firstMailbox(f, 'cc');
    case 'DISPLAYFROM':
      return displayName(f, 'from');
    case 'DISPLAYTO':
      return displayName(f, 'to');
  }
}

export function needsHeaders(criteria: readonly SortCriterion[]): boolean {
  return criteria.some((c) => c.key !== 'ARRIVAL' && c.key !== 'SIZE');
}

/** The UIDs in sorted order. */
export async function sortMessages(
  core: Core,
  mailboxId: number,
  uids: readonly number[],
  criteria: readonly SortCriterion[],
): Promise<number[]> {
  const facts = await loadFacts(core, mailboxId, uids, needsHeaders(criteria));
  const keyed = facts.map((f) => ({ uid: f.uid, keys: criteria.map((c) => keyOf(f, c.key)) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.keys[i]!;
      const y = b.keys[i]!;
      if (x === y) continue;
      const c = x < y ? -1 : 1;
      return criteria[i]!.reverse ? -c : c;
    }
    return a.uid - b.uid;
  });
  return keyed.map((k) => k.uid);
}
