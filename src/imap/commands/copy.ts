// COPY (RFC 9051 §6.4.7) and MOVE (RFC 6851), with UIDPLUS's COPYUID (RFC 4315).
import { getFolder } from '../../core/mailbox/folders.js';
import { copyMessages, moveMessages } from '../../core/mailbox/messages.js';
import { ArgReader } from '../proto/args.js';
import { formatSequenceSet } from '../proto/sequence.js';
import { resolveSet } from '../message-set.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleCopy(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const r = new ArgReader(ctx.args, s.utf8);
  const set = r.sequenceSet();
  const name = r.mailbox();
  r.end();
  const uids = resolveSet(sel, set, ctx.uid).filter((u) => !sel.pendingExpunge.has(u));
  const dest = await getFolder(s.core, sel.box.addressId, name);
  if (!dest) return { status: 'NO', code: 'TRYCREATE', text: 'No such folder' };
  const move = ctx.name === 'MOVE';
  const pairs = move
    ? await moveMessages(s.core, sel.box, uids, dest)
    : await copyMessages(s.core, sel.box, uids, dest);
  if (pairs.length === 0) return { status: 'OK', text: `No messages to ${ctx.name.toLowerCase()}` };
  const code = `COPYUID ${dest.uidValidity} ${formatSequenceSet(pairs.map((p) => p[0]))} ${formatSequenceSet(pairs.map((p) => p[1]))}`;
  if (!move) return { status: 'OK', code, text: 'Copy completed' };
  // MOVE: COPYUID goes in an untagged OK before the expunges (RFC 6851 §4.3).
  s.send(`* OK [${code}] Moved`);
  const moved = pairs.map((p) => p[0]).sort((a, b) => a - b);
  if (s.out.qresync) {
    for (const u of moved) sel.forget(u);
    s.send(`* VANISHED ${formatSequenceSet(moved)}`);
  } else {
    for (const u of moved.reverse()) {
      const seq = sel.forget(u);
      if (seq > 0) s.send(`* ${seq} EXPUNGE`);
    }
  }
  return { status: 'OK', text: 'Move completed' };
}
