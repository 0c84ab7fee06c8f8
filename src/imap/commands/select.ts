// SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3; RFC 3501 for rev1's RECENT and UNSEEN), with the
// CONDSTORE parameter (RFC 7162 §3.1.8).
import { getFolder } from '../../core/mailbox/folders.js';
import { iterateMessages } from '../../core/mailbox/messages.js';
import { parseSelect } from '../proto/select.js';
import { SelectedMailbox } from '../selected.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleSelect(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const args = parseSelect(ctx.args, s.utf8);
  if (args.qresync) return { status: 'BAD', text: 'QRESYNC is not supported' };
  const account = s.state.account;
  // Selecting closes the previous mailbox without expunging (RFC 9051 §6.3.2), even when the new one fails.
  s.state = { kind: 'authenticated', account };
  const box = await getFolder(s.core, account.addressId, args.mailbox);
  if (!box) return { status: 'NO', code: 'NONEXISTENT', text: 'No such folder' };
  if (args.condstore) s.enabled.add('CONDSTORE');
  const readOnly = ctx.name === 'EXAMINE';
  const sel = await SelectedMailbox.open(s.core, box, readOnly);
  const counts = await s.core.store.mail.counts(box.id);
  s.send(sel.flagsLine());
  s.send(`* ${sel.map.size} EXISTS`);
  if (!s.rev2) {
    s.send(`* ${sel.recentCount} RECENT`);
    if (counts.unseen > 0) {
      for await (const m of iterateMessages(s.core, box.id)) {
        if (!m.flags.includes('\\Seen')) {
          const seq = sel.map.seqOf(m.uid);
          if (seq > 0) s.send(`* OK [UNSEEN ${seq}] First unseen message`);
          break;
        }
      }
    }
  }
  s.send(`* OK [${sel.permanentFlagsCode()}] Flags permitted`);
  s.send(`* OK [UIDVALIDITY ${sel.box.uidValidity}] UIDs valid`);
  s.send(`* OK [UIDNEXT ${sel.box.uidNext}] Predicted next UID`);
  s.send(`* OK [HIGHESTMODSEQ ${sel.box.highestModseq}] Highest`);
  if (s.rev2) s.send(`* LIST () "/" ${s.mailboxName(box.name)}`);
  s.state = { kind: 'selected', account, selected: sel };
  return { status: 'OK', code: readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${ctx.name} completed` };
}
