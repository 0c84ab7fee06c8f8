// SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4) with ESEARCH's RETURN options (RFC 4731), SEARCHRES's
// SAVE and "$" (RFC 5182) and CONDSTORE's MODSEQ (RFC 7162 §3.1.5).
import { searchMessages } from '../../core/mailbox/search.js';
import { parseSearch } from '../proto/search.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { quote } from '../proto/response.js';
import { toQuery, usesModseq } from '../message-set.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleSearch(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const args = parseSearch(ctx.args, s.utf8, true);
  const modseq = usesModseq(args.key);
  if (modseq) s.enabled.add('CONDSTORE');
  const query = toQuery(args.key, sel);
  const found = await searchMessages(s.core, sel.box, query);
  const uids = found.uids.filter((u) => sel.map.seqOf(u) > 0 && !sel.pendingExpunge.has(u));
  const ids = ctx.uid ? uids : uids.map((u) => sel.map.seqOf(u));
  const modseqOf = new Map(found.uids.map((u, i) => [u, found.modseqs[i]!]));
  const returns = args.returns ?? (s.rev2 ? ['ALL'] : null);
  if (!returns) {
    const tail = modseq && ids.length > 0 ? ` (MODSEQ ${found.highestModseq})` : '';
    s.send(`* SEARCH${ids.map((n) => ` ${n}`).join('')}${tail}`);
    return { status: 'OK', text: 'Search completed' };
  }
  const min = ids.length ? Math.min(...ids.slice(0, 1), ids[0]!) : 0;
  const max = ids.length ? ids[ids.length - 1]! : 0;
  if (returns.includes('SAVE')) {
    // SAVE with MIN and/or MAX keeps only those (RFC 5182 §2.4).
    const onlyMinMax =
      (returns.includes('MIN') || returns.includes('MAX')) &&
      !returns.includes('ALL') &&
      !returns.includes('COUNT');
    if (onlyMinMax) {
      const keep: number[] = [];
      if (returns.includes('MIN') && uids.length) keep.push(uids[0]!);
      if (returns.includes('MAX') && uids.length) keep.push(uids[uids.length - 1]!);
      sel.saved = [...new Set(keep)];
    } else sel.saved = uids;
  }
  const shown = returns.filter((r) => r !== 'SAVE');
  if (shown.length === 0 && returns.includes('SAVE'))
    return { status: 'OK', text: 'Search completed, result saved' };
  let line = `* ESEARCH (TAG ${quote(ctx.tag)})${ctx.uid ? ' UID' : ''}`;
  if (ids.length > 0) {
    if (shown.includes('MIN')) line += ` MIN ${min}`;
    if (shown.includes('MAX')) line += ` MAX ${max}`;
    if (shown.includes('ALL')) line += ` ALL ${formatSequenceSet(ids)}`;
  }
  if (shown.includes('COUNT')) line += ` COUNT ${ids.length}`;
  if (modseq && ids.length > 0) {
    // The highest modseq of the messages being returned (RFC 7162 §3.1.5): with only MIN/MAX, theirs.
    let ms = found.highestModseq;
    if (!shown.includes('ALL') && !shown.includes('COUNT')) {
      const of = (u: number | undefined) => (u === undefined ? 0 : (modseqOf.get(u) ?? 0));
      ms = Math.max(
        shown.includes('MIN') ? of(uids[0]) : 0,
        shown.includes('MAX') ? of(uids[uids.length - 1]) : 0,
      );
    }
    line += ` MODSEQ ${ms}`;
  }
  s.send(line);
  return { status: 'OK', text: 'Search completed' };
}
