// Sequence sets and search keys of one command, turned into the UIDs the domain works with, against
// the session's own view of the mailbox (its sequence map and its SEARCHRES result).
import { ArgError } from './proto/args.js';
import { resolveRanges, type SequenceSet } from './proto/sequence.js';
import type { SearchKey } from './proto/search.js';
import type { MessageQuery } from '../core/mailbox/search.js';
import type { SelectedMailbox } from './selected.js';

/** UIDs (ascending) the set names; sequence numbers beyond the mailbox are an error (RFC 9051 §9 seq-number). */
export function resolveSet(sel: SelectedMailbox, set: SequenceSet, uid: boolean): number[] {
  if (set.kind === 'saved') {
    const known = sel.saved.filter((u) => sel.map.seqOf(u) > 0);
    return known;
  }
  if (uid) return sel.map.uidsForUidRanges(resolveRanges(set.ranges, sel.map.maxUid));
  const max = sel.map.size;
  const ranges = resolveRanges(set.ranges, max);
  if (max === 0) {
    if (set.ranges.every((r) => r.from === 0 || r.to === 0)) return [];
    throw new ArgError('Invalid message sequence number: the mailbox is empty');
  }
  for (const [, b] of ranges) if (b > max) throw new ArgError('Invalid message sequence number');
  return sel.map.uidsForSeqRanges(ranges);
}

function uidRanges(uids: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const u of uids) {
    const last = out[out.length - 1];
    if (last && u === last[1] + 1) last[1] = u;
    else out.push([u, u]);
  }
  return out;
}

/** The domain query for a search key; sequence sets become the UID ranges they name right now. */
export function toQuery(key: SearchKey, sel: SelectedMailbox): MessageQuery {
  switch (key.kind) {
    case 'all':
      return { kind: 'all' };
    case 'and':
      return { kind: 'and', items: key.keys.map((k) => toQuery(k, sel)) };
    case 'or':
      return { kind: 'or', items: [toQuery(key.a, sel), toQuery(key.b, sel)] };
    case 'not':
      return { kind: 'not', item: toQuery(key.key, sel) };
    case 'seq':
    case 'uid': {
      if (key.set.kind === 'saved')
        return { kind: 'uids', ranges: uidRanges([...sel.saved].sort((a, b) => a - b)) };
      if (key.kind === 'uid') return { kind: 'uids', ranges: resolveRanges(key.set.ranges, sel.map.maxUid) };
      // Out-of-range sequence numbers simply match nothing in a search.
      const ranges = resolveRanges(key.set.ranges, sel.map.size);
      return { kind: 'uids', ranges: uidRanges(sel.map.uidsForSeqRanges(ranges)) };
    }
    case 'flag':
      return { kind: 'flag', flag: key.flag, set: key.set };
    // \Recent is this session's (RFC 3501 §6.4.4): NEW is RECENT UNSEEN, OLD is NOT RECENT.
    case 'recent':
      return { kind: 'uids', ranges: sel.recentUidRanges() };
    case 'new':
      return {
        kind: 'and',
        items: [
          { kind: 'uids', ranges: sel.recentUidRanges() },
          { kind: 'flag', flag: '\\Seen', set: false },
        ],
      };
    case 'old':
      return { kind: 'not', item: { kind: 'uids', ranges: sel.recentUidRanges() } };
    case 'date':
      return { kind: 'date', field: key.field, op: key.op, date: key.date };
    case 'size':
      return { kind: 'size', op: key.op, size: key.size };
    case 'header':
      return { kind: 'header', field: key.field, value: key.value };
    case 'body':
      return { kind: 'body', value: key.value };
    case 'text':
      return { kind: 'text', value: key.value };
    case 'modseq':
      return { kind: 'modseq', modseq: key.modseq };
    case 'age':
      return { kind: 'age', op: key.op, seconds: key.seconds };
  }
}

export function usesModseq(key: SearchKey): boolean {
  switch (key.kind) {
    case 'modseq':
      return true;
    case 'and':
      return key.keys.some(usesModseq);
    case 'or':
      return usesModseq(key.a) || usesModseq(key.b);
    case 'not':
      return usesModseq(key.key);
    default:
      return false;
  }
}
