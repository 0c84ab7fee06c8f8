// EXPUNGE (RFC 9051 §6.4.3) and UID EXPUNGE (RFC 4315 §2.1).
import { deletedUids, expungeMessages } from '../../core/mailbox/messages.js';
import { ArgReader } from '../proto/args.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { resolveSet } from '../message-set.js';
import { dropFromContexts } from '../search-context.js';
import type { CommandContext, CommandResult, SessionApi } from '../session-api.js';

/** Expunges \Deleted messages among `uids` (all when null); announces them unless `silent` (CLOSE). */
export async function expungeDeleted(s: SessionApi, uids: number[] | null, silent: boolean): Promise<void> {
  const sel = s.selected();
  const candidates = uids ? await deletedUids(s.core, sel.box, uids) : await deletedUids(s.core, sel.box);
  const known = candidates.filter((u) => sel.map.seqOf(u) > 0);
  const removed = (await expungeMessages(s.core, sel.box, known)).map((m) => m.uid).sort((a, b) => a - b);
  if (silent) return;
  dropFromContexts(sel.contexts, sel.map, new Set(removed), (l) => s.send(l));
  if (s.out.qresync && removed.length > 0) {
    for (const u of removed) sel.forget(u);
    s.send(`* VANISHED ${formatSequenceSet(removed)}`);
    return;
  }
  for (const u of removed.reverse()) {
    const seq = sel.forget(u);
    if (seq > 0) s.send(`* ${seq} EXPUNGE`);
  }
}

export async function handleExpunge(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  let uids: number[] | null = null;
  if (ctx.uid) {
    const r = new ArgReader(ctx.args);
    uids = resolveSet(sel, r.sequenceSet(), true);
    r.end();
  } else if (ctx.args.length > 0) return { status: 'BAD', text: 'EXPUNGE takes no arguments' };
  await expungeDeleted(s, uids, false);
  if (s.out.condstore) {
    // The mailbox's new HIGHESTMODSEQ, so a CONDSTORE client need not ask (RFC 7162 §3.2.10).
    const box = await s.core.store.mail.getMailboxById(sel.box.id);
    if (box) return { status: 'OK', code: `HIGHESTMODSEQ ${box.highestModseq}`, text: 'Expunge completed' };
  }
  return { status: 'OK', text: 'Expunge completed' };
}
