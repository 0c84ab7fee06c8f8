// CONTEXT=SEARCH / CONTEXT=SORT (RFC 5267 §4): searches the client asked to keep up to date with
// RETURN (UPDATE). The session re-runs them after each command while any is active and reports what
// entered the result (ADDTO) and what left it (REMOVEFROM); an expunged message leaves it before its
// EXPUNGE is sent, so the numbers in REMOVEFROM are still valid.
import type { Core } from '../core/context.js';
import { searchMessages, type MessageQuery } from '../core/mailbox/search.js';
import { sortMessages, type SortCriterion } from '../core/mailbox/sort.js';
import { formatSequenceSet } from './proto/sequence.js';
import { quote } from './proto/response.js';
import type { SeqMap } from './seq-map.js';

export interface SearchContext {
  tag: string;
  uid: boolean;
  query: MessageQuery;
  /** SORT criteria, or null for an (unsorted) SEARCH. */
  sort: SortCriterion[] | null;
  /** UIDs in result order. */
  result: number[];
}

/** Hard cap: each active context is re-run after every command. */
export const MAX_CONTEXTS = 10;

function head(c: SearchContext): string {
  return `* ESEARCH (TAG ${quote(c.tag)})${c.uid ? ' UID' : ''}`;
}

function ids(c: SearchContext, map: SeqMap, uids: readonly number[]): number[] {
  return c.uid ? [...uids] : uids.map((u) => map.seqOf(u));
}

/** Takes expunged messages out of every context (REMOVEFROM), before the EXPUNGE responses. */
export function dropFromContexts(
  contexts: SearchContext[],
  map: SeqMap,
  gone: ReadonlySet<number>,
  send: (line: string) => void,
): void {
  for (const c of contexts) {
    const removed = c.result.filter((u) => gone.has(u));
    if (removed.length === 0) continue;
    send(removeLine(c, map, removed));
    c.result = c.result.filter((u) => !gone.has(u));
  }
}

function removeLine(c: SearchContext, map: SeqMap, removed: number[]): string {
  if (!c.sort) {
    const set = formatSequenceSet(ids(c, map, removed).sort((a, b) => a - b));
    return `${head(c)} REMOVEFROM (0 ${set})`;
  }
  // Sorted: each message with its position in the result, last first so earlier positions stay valid.
  const pos = new Map(c.result.map((u, i) => [u, i + 1]));
  const pairs = removed
    .map((u) => [pos.get(u) ?? 0, u] as const)
    .sort((a, b) => b[0] - a[0])
    .map(([p, u]) => `${p} ${c.uid ? u : map.seqOf(u)}`);
  return `${head(c)} REMOVEFROM (${pairs.join(' ')})`;
}

/** Re-runs every context against `live` (UIDs the client knows, ascending) and reports the differences. */
export async function refreshContexts(
  core: Core,
  mailboxId: number,
  contexts: SearchContext[],
  map: SeqMap,
  isLive: (uid: number) => boolean,
  send: (line: string) => void,
): Promise<void> {
  for (const c of contexts) {
    const box = await core.store.mail.getMailboxById(mailboxId);
    if (!box) return;
    const found = (await searchMessages(core, box, c.query)).uids.filter(isLive);
    const next = c.sort ? await sortMessages(core, mailboxId, found, c.sort) : found;
    const now = new Set(next);
    const before = new Set(c.result);
    const removed = c.result.filter((u) => !now.has(u));
    if (removed.length > 0) send(removeLine(c, map, removed));
    const added = next.filter((u) => !before.has(u));
    c.result = next;
    if (added.length === 0) continue;
    if (!c.sort) {
      send(`${head(c)} ADDTO (0 ${formatSequenceSet(ids(c, map, added).sort((a, b) => a - b))})`);
    } else {
      // Positions in the new result, first to last, so each insertion lands where the client expects.
      const pos = new Map(next.map((u, i) => [u, i + 1]));
      const pairs = added.map((u) => `${pos.get(u)} ${c.uid ? u : map.seqOf(u)}`);
      send(`${head(c)} ADDTO (${pairs.join(' ')})`);
    }
  }
}
