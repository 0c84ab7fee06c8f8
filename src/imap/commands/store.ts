// STORE (RFC 9051 §6.4.6) with .SILENT and CONDSTORE's UNCHANGEDSINCE / MODIFIED (RFC 7162 §3.1.3).
import { loadMessages, setFlags } from '../../core/mailbox/messages.js';
import { parseStore } from '../proto/store.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { resolveSet } from '../message-set.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleStore(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const args = parseStore(ctx.args);
  if (args.unchangedSince !== null) s.enabled.add('CONDSTORE');
  const uids = resolveSet(sel, args.set, ctx.uid);
  const live = uids.filter((u) => !sel.pendingExpunge.has(u));
  const r = await setFlags(s.core, sel.box, live, args.op, args.flags, args.unchangedSince ?? undefined);
  const updated = new Set<number>();
  for (const m of r.updated) {
    updated.add(m.uid);
    sel.noteOwnChange(m.modseq);
    if (!args.silent) sel.sendFlags(m, s.out, ctx.uid);
    else if (s.out.condstore) {
      // The new modseq must reach the client even with .SILENT (RFC 7162 §3.1.3).
      const seq = sel.map.seqOf(m.uid);
      if (seq > 0) s.send(`* ${seq} FETCH (UID ${m.uid} MODSEQ (${m.modseq}))`);
    }
  }
  const conflicts = new Set(r.conflicts);
  if (!args.silent) {
    // Messages whose flags did not change still get their FLAGS (RFC 9051 §6.4.6).
    const rest = live.filter((u) => !updated.has(u) && !conflicts.has(u));
    for (const m of await loadMessages(s.core, sel.box.id, rest)) sel.sendFlags(m, s.out, ctx.uid);
  }
  const missing = uids.length !== live.length;
  if (conflicts.size > 0) {
    const ids = ctx.uid ? [...conflicts] : [...conflicts].map((u) => sel.map.seqOf(u)).filter((n) => n > 0);
    return {
      status: 'OK',
      code: `MODIFIED ${formatSequenceSet(ids.sort((a, b) => a - b))}`,
      text: 'Conditional STORE failed for some messages',
    };
  }
  // Messages another session expunged (not yet announced here) are skipped: there is nothing left to
  // change, and the EXPUNGE follows at the next chance (RFC 9051 §7.5.1); Dovecot answers OK too.
  return { status: 'OK', text: missing ? 'Store completed; some messages were expunged' : 'Store completed' };
}
