// THREAD (RFC 5256 §4) and UID THREAD: ORDEREDSUBJECT and REFERENCES over the messages a search finds.
import { searchMessages } from '../../core/mailbox/search.js';
import { threadMessages, type ThreadNode } from '../../core/mailbox/thread.js';
import { parseThread } from '../proto/sort.js';
import { toQuery } from '../message-set.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { rev2SearchProblem } from '../rev2.js';

/**
 * thread-list (RFC 5256 §4): a message followed by its only child inline, or by each of several children
 * in parentheses; a dummy is just its children in parentheses.
 */
function members(n: ThreadNode, id: (uid: number) => number): string {
  const kids = n.children;
  const nested = kids.map((k) => `(${members(k, id)})`).join('');
  if (n.uid === null) return nested;
  const self = String(id(n.uid));
  if (kids.length === 0) return self;
  if (kids.length === 1) return `${self} ${members(kids[0]!, id)}`;
  return `${self} ${nested}`;
}

export async function handleThread(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const args = parseThread(ctx.args, s.utf8);
  const gone = s.rev2 ? rev2SearchProblem(args.key) : null;
  if (gone) return gone;
  const found = await searchMessages(s.core, sel.box, toQuery(args.key, sel));
  const live = found.uids.filter((u) => sel.map.seqOf(u) > 0 && !sel.pendingExpunge.has(u));
  const threads = await threadMessages(s.core, sel.box.id, live, args.algorithm);
  const id = ctx.uid ? (u: number) => u : (u: number) => sel.map.seqOf(u);
  s.send(`* THREAD ${threads.map((t) => `(${members(t, id)})`).join('')}`.trimEnd());
  return { status: 'OK', text: 'Thread completed' };
}
