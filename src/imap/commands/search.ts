// SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4) with ESEARCH's RETURN options (RFC 4731), SEARCHRES's
// SAVE and "$" (RFC 5182), CONTEXT=SEARCH's PARTIAL (RFC 5267 §4.4) and CONDSTORE's MODSEQ
// (RFC 7162 §3.1.5).
import { searchMessages } from '../../core/mailbox/search.js';
import { parseSearch, type SearchReturn } from '../proto/search.js';
import { toQuery, usesModseq } from '../message-set.js';
import type { SelectedMailbox } from '../selected.js';
import { MAX_CONTEXTS, type SearchContext } from '../search-context.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { esearchLine } from './esearch.js';
import { rev2SearchProblem } from '../rev2.js';

/** SAVE keeps the result as UIDs; with only MIN and/or MAX, just those (RFC 5182 §2.4). */
export function saveResult(
  sel: SelectedMailbox,
  returns: readonly SearchReturn[],
  uids: readonly number[],
): void {
  if (!returns.includes('SAVE')) return;
  const onlyMinMax =
    (returns.includes('MIN') || returns.includes('MAX')) &&
    !returns.includes('ALL') &&
    !returns.includes('COUNT');
  if (onlyMinMax) {
    const keep: number[] = [];
    if (returns.includes('MIN') && uids.length) keep.push(uids[0]!);
    if (returns.includes('MAX') && uids.length) keep.push(uids[uids.length - 1]!);
    sel.saved = [...new Set(keep)].sort((a, b) => a - b);
  } else sel.saved = [...uids].sort((a, b) => a - b);
}

/** Starts keeping a search up to date; false when the session already keeps too many. */
export function addContext(sel: SelectedMailbox, c: SearchContext): boolean {
  const i = sel.contexts.findIndex((x) => x.tag === c.tag);
  if (i >= 0) sel.contexts.splice(i, 1);
  if (sel.contexts.length >= MAX_CONTEXTS) return false;
  sel.contexts.push(c);
  return true;
}

export async function handleSearch(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const args = parseSearch(ctx.args, s.utf8, true);
  const gone = s.rev2 ? rev2SearchProblem(args.key) : null;
  if (gone) return gone;
  // After ENABLE UTF8=ACCEPT strings are UTF-8 by definition; a CHARSET conflicts (RFC 6855 §3).
  if (args.charset !== null && s.enabled.has('UTF8=ACCEPT'))
    return { status: 'BAD', text: 'No CHARSET after ENABLE UTF8=ACCEPT' };
  const modseq = usesModseq(args.key);
  if (modseq) s.enabled.add('CONDSTORE');
  const query = toQuery(args.key, sel);
  const found = await searchMessages(s.core, sel.box, query);
  const uids = found.uids.filter((u) => sel.map.seqOf(u) > 0 && !sel.pendingExpunge.has(u));
  const ids = ctx.uid ? uids : uids.map((u) => sel.map.seqOf(u));
  const modseqOf = new Map(found.uids.map((u, i) => [u, found.modseqs[i]!]));
  const returns = args.returns ?? (s.rev2 ? ['ALL' as const] : null);
  if (!returns) {
    const tail = modseq && ids.length > 0 ? ` (MODSEQ ${found.highestModseq})` : '';
    s.send(`* SEARCH${ids.map((n) => ` ${n}`).join('')}${tail}`);
    return { status: 'OK', text: 'Search completed' };
  }
  saveResult(sel, returns, uids);
  if (returns.includes('UPDATE')) {
    if (!addContext(sel, { tag: ctx.tag, uid: ctx.uid, query, sort: null, result: uids }))
      return { status: 'NO', code: 'LIMIT', text: 'Too many searches kept up to date' };
  }
  const shown = returns.filter((r) => r !== 'SAVE' && r !== 'UPDATE' && r !== 'CONTEXT');
  // With UPDATE the ESEARCH response is sent even when it carries nothing yet (RFC 5267 §4.2).
  if (shown.length === 0 && !returns.includes('UPDATE'))
    return { status: 'OK', text: 'Search completed, result saved' };
  let ms: number | null = null;
  if (modseq && ids.length > 0) {
    // The highest modseq of the messages being returned (RFC 7162 §3.1.5): with only MIN/MAX, theirs.
    ms = found.highestModseq;
    if (!shown.includes('ALL') && !shown.includes('COUNT') && !shown.includes('PARTIAL')) {
      const of = (u: number | undefined) => (u === undefined ? 0 : (modseqOf.get(u) ?? 0));
      ms = Math.max(
        shown.includes('MIN') ? of(uids[0]) : 0,
        shown.includes('MAX') ? of(uids[uids.length - 1]) : 0,
      );
    }
  }
  s.send(
    esearchLine({
      tag: ctx.tag,
      uid: ctx.uid,
      ids,
      returns: shown,
      partial: args.partial,
      sorted: false,
      modseq: ms,
    }),
  );
  return { status: 'OK', text: 'Search completed' };
}
