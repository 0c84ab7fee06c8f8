// SORT (RFC 5256 §3) and UID SORT, with SORT=DISPLAY's keys (RFC 5957) and ESORT / CONTEXT=SORT's
// RETURN options answered with ESEARCH (RFC 5267 §3, §4.4).
import { searchMessages } from '../../core/mailbox/search.js';
import { sortMessages } from '../../core/mailbox/sort.js';
import { parseSort } from '../proto/sort.js';
import { toQuery, usesModseq } from '../message-set.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { esearchLine } from './esearch.js';
import { addContext, saveResult } from './search.js';
import { rev2SearchProblem } from '../rev2.js';

export async function handleSort(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const args = parseSort(ctx.args, s.utf8);
  const gone = s.rev2 ? rev2SearchProblem(args.key) : null;
  if (gone) return gone;
  const modseq = usesModseq(args.key);
  if (modseq) s.enabled.add('CONDSTORE');
  const query = toQuery(args.key, sel);
  const found = await searchMessages(s.core, sel.box, query);
  const live = found.uids.filter((u) => sel.map.seqOf(u) > 0 && !sel.pendingExpunge.has(u));
  const sorted = await sortMessages(s.core, sel.box.id, live, args.criteria);
  const ids = ctx.uid ? sorted : sorted.map((u) => sel.map.seqOf(u));
  if (!args.returns) {
    const tail = modseq && ids.length > 0 ? ` (MODSEQ ${found.highestModseq})` : '';
    s.send(`* SORT${ids.map((n) => ` ${n}`).join('')}${tail}`);
    return { status: 'OK', text: 'Sort completed' };
  }
  saveResult(sel, args.returns, sorted);
  if (args.returns.includes('UPDATE')) {
    const c = { tag: ctx.tag, uid: ctx.uid, query, sort: args.criteria, result: sorted };
    if (!addContext(sel, c))
      return { status: 'NO', code: 'LIMIT', text: 'Too many searches kept up to date' };
  }
  const shown = args.returns.filter((r) => r !== 'SAVE' && r !== 'UPDATE' && r !== 'CONTEXT');
  if (shown.length === 0 && !args.returns.includes('UPDATE'))
    return { status: 'OK', text: 'Sort completed, result saved' };
  const line = esearchLine({
    tag: ctx.tag,
    uid: ctx.uid,
    ids,
    returns: shown,
    partial: args.partial,
    sorted: true,
    modseq: modseq ? found.highestModseq : null,
  });
  s.send(line);
  return { status: 'OK', text: 'Sort completed' };
}
