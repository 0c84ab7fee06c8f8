// SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3: no RECENT or UNSEEN, a LIST response instead; RFC 3501
// for rev1's RECENT and UNSEEN), with the
// CONDSTORE parameter (RFC 7162 §3.1.8) and QRESYNC's resynchronisation (RFC 7162 §3.2.5).
import { getFolder, listFolders } from '../../core/mailbox/folders.js';
import { iterateMessages } from '../../core/mailbox/messages.js';
import { parseSelect, type QresyncParams } from '../proto/select.js';
import { flagList } from '../proto/response.js';
import { formatSequenceSet, inRanges, resolveRanges } from '../proto/sequence.js';
import { SelectedMailbox } from '../selected.js';
import type { MailboxRecord } from '../../store/ports.js';
import type { CommandContext, CommandResult, SessionApi } from '../session-api.js';

export async function handleSelect(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const args = parseSelect(ctx.args, s.utf8);
  if (args.qresync && !s.enabled.has('QRESYNC')) return { status: 'BAD', text: 'ENABLE QRESYNC first' };
  const account = s.state.account;
  // The previous mailbox is closed first: say so, so its pending responses are not taken for the new one's
  // (RFC 7162 §3.2.11; part of the base protocol in IMAP4rev2, RFC 9051 §6.3.2).
  if (s.state.kind === 'selected' && (s.enabled.has('QRESYNC') || s.rev2))
    s.send('* OK [CLOSED] Previous mailbox closed');
  // Selecting closes the previous mailbox without expunging (RFC 9051 §6.3.2), even when the new one fails.
  s.state = { kind: 'authenticated', account };
  // The change feed's position before the folder is read: nothing that happens after it is missed.
  const feedPosition = await s.core.store.mail.latestChangeId();
  const box = await getFolder(s.core, account.addressId, args.mailbox);
  if (!box) return { status: 'NO', code: 'NONEXISTENT', text: 'No such folder' };
  if (args.condstore) s.enabled.add('CONDSTORE');
  const readOnly = ctx.name === 'EXAMINE';
  const sel = await SelectedMailbox.open(s.core, box, readOnly, s.rev2, feedPosition);
  s.send(sel.flagsLine());
  s.send(`* ${sel.map.size} EXISTS`);
  if (!s.rev2) {
    sel.announcedRecent = sel.recentCount;
    s.send(`* ${sel.announcedRecent} RECENT`);
    // One indexed query, not a walk through the folder (100k messages must SELECT in well under a second).
    const first = await s.core.store.mail.firstUnseenUid(box.id);
    const seq = first === null ? 0 : sel.map.seqOf(first);
    if (seq > 0) s.send(`* OK [UNSEEN ${seq}] First unseen message`);
  }
  s.send(`* OK [${sel.permanentFlagsCode()}] Flags permitted`);
  s.send(`* OK [UIDVALIDITY ${sel.box.uidValidity}] UIDs valid`);
  s.send(`* OK [UIDNEXT ${sel.box.uidNext}] Predicted next UID`);
  s.send(`* OK [HIGHESTMODSEQ ${sel.box.highestModseq}] Highest`);
  if (s.rev2) s.send(await listLine(s, box));
  if (args.qresync && args.qresync.uidValidity === sel.box.uidValidity) await resync(s, sel, args.qresync);
  s.state = { kind: 'selected', account, selected: sel };
  return { status: 'OK', code: readOnly ? 'READ-ONLY' : 'READ-WRITE', text: `${ctx.name} completed` };
}

/**
 * IMAP4rev2 SELECT answers with the folder's LIST response, its attributes accurate (RFC 9051 §6.3.2):
 * children and special use, as a plain LIST would show them.
 */
async function listLine(s: SessionApi, box: MailboxRecord): Promise<string> {
  const prefix = `${box.name}/`;
  const children = (await listFolders(s.core, box.addressId)).some((f) => f.name.startsWith(prefix));
  const attrs = [children ? '\\HasChildren' : '\\HasNoChildren'];
  if (box.specialUse) attrs.push(box.specialUse);
  return `* LIST (${attrs.join(' ')}) "/" ${s.mailboxName(box.name)}`;
}

/**
 * What changed since the client's MODSEQ (RFC 7162 §3.2.5.2): VANISHED (EARLIER) for expunged UIDs it may
 * know, then FETCH (UID FLAGS MODSEQ) for messages changed since. The sequence-match data only helps a
 * server that cannot remember expunges; this one keeps tombstones, so it is not needed.
 */
async function resync(s: SessionApi, sel: SelectedMailbox, q: QresyncParams): Promise<void> {
  const max = Math.max(sel.box.uidNext - 1, 1);
  const known = q.knownUids ? resolveRanges(q.knownUids, max) : null;
  const vanished = (await s.core.store.mail.expungedSince(sel.box.id, q.modseq)).filter(
    (u) => !known || inRanges(u, known),
  );
  if (vanished.length > 0) s.send(`* VANISHED (EARLIER) ${formatSequenceSet(vanished)}`);
  if (q.modseq >= sel.box.highestModseq) return;
  for await (const m of iterateMessages(s.core, sel.box.id)) {
    if (m.modseq <= q.modseq || (known && !inRanges(m.uid, known))) continue;
    const seq = sel.map.seqOf(m.uid);
    if (seq === 0) continue;
    sel.learnKeywords(m.flags, s.out);
    s.send(`* ${seq} FETCH (UID ${m.uid} FLAGS ${flagList(sel.flagsOf(m, s.out))} MODSEQ (${m.modseq}))`);
  }
}
