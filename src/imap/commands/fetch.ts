// FETCH (RFC 9051 §6.4.5): flags and metadata from the row, everything else from the blob parsed
// once per message; ENVELOPE / BODY / BODYSTRUCTURE from the process's structure cache when they were
// formatted before (then the blob is not read at all). BODY[...] (not .PEEK) and RFC822/RFC822.TEXT
// set \Seen. CONDSTORE's MODSEQ and CHANGEDSINCE (RFC 7162 §3.1.4), BINARY (RFC 3516).
import { loadMessages, setFlags } from '../../core/mailbox/messages.js';
import { parseMessage, type MimePart } from '../../mime/index.js';
import type { MessageRecord } from '../../store/ports.js';
import { formatBodyStructure } from '../proto/bodystructure.js';
import { formatEnvelope } from '../proto/envelope.js';
import { parseFetch, type FetchItem } from '../proto/fetch.js';
import { flagList, formatInternalDate, literalHeader } from '../proto/response.js';
import { binaryBytes, sectionBytes } from '../proto/sections.js';
import { resolveSet } from '../message-set.js';
import { formatSequenceSet, inRanges, resolveRanges } from '../proto/sequence.js';
import { ImapNoError } from '../errors.js';
import type { CommandContext, CommandResult, SessionApi } from '../session-api.js';
import type { SelectedMailbox } from '../selected.js';
import { structureCache, type StructureItem } from '../structure-cache.js';
import { blobCache } from '../blob-cache.js';
import { rev2FetchProblem } from '../rev2.js';

const BATCH = 200;
/** Messages whose blob is read ahead of the one being written (the reads overlap on the thread pool). */
const READ_AHEAD = 8;

const FROM_ROW = ['flags', 'uid', 'internaldate', 'rfc822.size', 'modseq'];
const STRUCTURE: readonly string[] = ['envelope', 'body', 'bodystructure'];

/** Items that always need the message itself (structure items may come from the cache). */
function needsBlob(items: readonly FetchItem[]): boolean {
  return items.some((i) => !FROM_ROW.includes(i.kind) && !STRUCTURE.includes(i.kind));
}

/** Whether this message's raw bytes will be needed (not everything asked for is in the structure cache). */
function needsRaw(m: MessageRecord, items: readonly FetchItem[], blob: boolean, utf8: boolean): boolean {
  if (blob) return true;
  return items.some(
    (i) =>
      STRUCTURE.includes(i.kind) &&
      structureCache.get(m.blobHash, i.kind as StructureItem, utf8) === undefined,
  );
}

function setsSeen(i: FetchItem): boolean {
  return (i.kind === 'section' && !i.peek) || i.kind === 'rfc822' || i.kind === 'rfc822.text';
}

export async function handleFetch(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  const sel = s.selected();
  const args = parseFetch(ctx.args);
  const gone = s.rev2 ? rev2FetchProblem(args.items) : null;
  if (gone) return gone;
  if (args.vanished) {
    // UID FETCH ... (CHANGEDSINCE m VANISHED) only, with QRESYNC enabled (RFC 7162 §3.2.6).
    if (!s.enabled.has('QRESYNC')) return { status: 'BAD', text: 'VANISHED needs ENABLE QRESYNC' };
    if (!ctx.uid || args.changedSince === null)
      return { status: 'BAD', text: 'VANISHED needs UID FETCH and CHANGEDSINCE' };
    if (args.set.kind === 'ranges') {
      const ranges = resolveRanges(args.set.ranges, Math.max(sel.box.uidNext - 1, sel.map.maxUid, 1));
      const gone = (await s.core.store.mail.expungedSince(sel.box.id, args.changedSince)).filter((u) =>
        inRanges(u, ranges),
      );
      if (gone.length > 0) s.send(`* VANISHED (EARLIER) ${formatSequenceSet(gone)}`);
    }
  }
  const items = [...args.items];
  if (args.changedSince !== null || items.some((i) => i.kind === 'modseq')) s.enabled.add('CONDSTORE');
  if ((ctx.uid || s.out.qresync) && !items.some((i) => i.kind === 'uid')) items.unshift({ kind: 'uid' });
  if (args.changedSince !== null && !items.some((i) => i.kind === 'modseq')) items.push({ kind: 'modseq' });
  const uids = resolveSet(sel, args.set, ctx.uid);
  const markSeen = !sel.readOnly && items.some(setsSeen);
  const blob = needsBlob(items);
  let missing = false;
  for (let i = 0; i < uids.length; i += BATCH) {
    const batch = uids.slice(i, i + BATCH);
    let rows = await loadMessages(s.core, sel.box.id, batch);
    if (rows.length !== batch.length) missing = true;
    if (args.changedSince !== null) rows = rows.filter((m) => m.modseq > args.changedSince!);
    const seenChanged = new Set<number>();
    if (markSeen) {
      const unseen = rows.filter((m) => !m.flags.includes('\\Seen')).map((m) => m.uid);
      if (unseen.length > 0) {
        const r = await setFlags(s.core, sel.box, unseen, 'add', ['\\Seen']);
        const byUid = new Map(r.updated.map((m) => [m.uid, m]));
        rows = rows.map((m) => byUid.get(m.uid) ?? m);
        for (const m of r.updated) {
          sel.noteOwnChange(m.modseq);
          seenChanged.add(m.uid);
        }
      }
    }
    // Blob reads start up to READ_AHEAD messages ahead; responses still go out in order.
    const reads: Array<Promise<Buffer> | null> = [];
    const startRead = (k: number) => {
      if (k >= rows.length || reads[k] !== undefined) return;
      const m = rows[k]!;
      const p = needsRaw(m, items, blob, s.utf8) ? blobCache.read(s.core, m.blobHash) : null;
      // Awaited below; a message skipped (expunged meanwhile) must not leave an unhandled rejection.
      p?.catch(() => undefined);
      reads[k] = p;
    };
    for (let k = 0; k < rows.length; k++) {
      for (let j = k; j <= k + READ_AHEAD; j++) startRead(j);
      const m = rows[k]!;
      const seq = sel.map.seqOf(m.uid);
      if (seq === 0) continue;
      sel.learnKeywords(m.flags, s.out);
      await writeMessage(s, sel, seq, m, items, blob, seenChanged.has(m.uid), reads[k] ?? null);
    }
    // Between batches only: the last one goes out with the tagged OK, in one TLS record and write.
    if (i + BATCH < uids.length) await s.flushOutput();
  }
  if (missing && !ctx.uid)
    return { status: 'NO', code: 'EXPUNGEISSUED', text: 'Some of the requested messages no longer exist' };
  return { status: 'OK', text: 'Fetch completed' };
}

async function writeMessage(
  s: SessionApi,
  sel: SelectedMailbox,
  seq: number,
  m: MessageRecord,
  items: readonly FetchItem[],
  blob: boolean,
  seenChanged: boolean,
  rawRead: Promise<Buffer> | null,
): Promise<void> {
  let raw: Buffer | null = null;
  let root: MimePart | null = null;
  const cached = new Map<StructureItem, string>();
  for (const it of items) {
    if (!STRUCTURE.includes(it.kind)) continue;
    const v = structureCache.get(m.blobHash, it.kind as StructureItem, s.utf8);
    if (v !== undefined) cached.set(it.kind as StructureItem, v);
  }
  if (blob || items.some((i) => STRUCTURE.includes(i.kind) && !cached.has(i.kind as StructureItem))) {
    raw = await (rawRead ?? blobCache.read(s.core, m.blobHash));
    root = parseMessage(raw);
  }
  const structure = (item: StructureItem, make: () => string): string => {
    let v = cached.get(item);
    if (v === undefined) {
      v = make();
      structureCache.set(m.blobHash, item, s.utf8, v);
    }
    return v;
  };
  const parts: Array<string | Buffer> = [];
  const lit = (label: string, data: Buffer | null, binary = false) => {
    if (data === null) {
      parts.push(`${label} NIL`);
      return;
    }
    parts.push(`${label} ${literalHeader(data.length, binary)}`, data);
  };
  let flagsSent = false;
  for (const it of items) {
    switch (it.kind) {
      case 'flags':
        parts.push(`FLAGS ${flagList(sel.flagsOf(m, s.out))}`);
        flagsSent = true;
        break;
      case 'uid':
        parts.push(`UID ${m.uid}`);
        break;
      case 'internaldate':
        parts.push(`INTERNALDATE ${formatInternalDate(m.internalDate)}`);
        break;
      case 'rfc822.size':
        parts.push(`RFC822.SIZE ${m.size}`);
        break;
      case 'modseq':
        parts.push(`MODSEQ (${m.modseq})`);
        break;
      case 'rfc822':
        lit('RFC822', raw!);
        break;
      case 'rfc822.header':
        lit('RFC822.HEADER', raw!.subarray(root!.headerStart, root!.headerEnd));
        break;
      case 'rfc822.text':
        lit('RFC822.TEXT', raw!.subarray(root!.bodyStart, root!.bodyEnd));
        break;
      case 'envelope':
        parts.push(`ENVELOPE ${structure('envelope', () => formatEnvelope(root!.headers, s.utf8))}`);
        break;
      case 'body':
        parts.push(`BODY ${structure('body', () => formatBodyStructure(root!, false, s.utf8, raw!))}`);
        break;
      case 'bodystructure':
        parts.push(
          `BODYSTRUCTURE ${structure('bodystructure', () => formatBodyStructure(root!, true, s.utf8, raw!))}`,
        );
        break;
      case 'binary.size': {
        const b = binaryBytes(raw!, root!, it.section.path);
        parts.push(`BINARY.SIZE[${it.label}] ${b === null || b === 'unknown-cte' ? 'NIL' : b.length}`);
        break;
      }
      case 'section': {
        let data: Buffer | null;
        if (it.binary) {
          const b = binaryBytes(raw!, root!, it.section.path);
          // RFC 3516 §4.3: a content transfer encoding we cannot undo.
          if (b === 'unknown-cte') throw new ImapNoError('UNKNOWN-CTE', 'Unknown content transfer encoding');
          data = b;
        } else data = sectionBytes(raw!, root!, it.section);
        let label = `${it.binary ? 'BINARY' : 'BODY'}[${it.label}]`;
        if (it.partial && data) {
          label += `<${it.partial.offset}>`;
          data = data.subarray(
            Math.min(it.partial.offset, data.length),
            Math.min(it.partial.offset + it.partial.length, data.length),
          );
        }
        lit(label, data, it.binary && data !== null && data.includes(0));
        break;
      }
    }
  }
  if (seenChanged && !flagsSent) parts.push(`FLAGS ${flagList(sel.flagsOf(m, s.out))}`);
  s.write(`* ${seq} FETCH (`);
  let first = true;
  for (const p of parts) {
    if (typeof p === 'string') {
      s.write(first ? p : ` ${p}`);
      first = false;
    } else s.write(p);
  }
  s.write(')\r\n');
}
