// SELECT / EXAMINE arguments with CONDSTORE (RFC 7162 §3.1.8) and QRESYNC (RFC 7162 §3.2.5).
import { ArgError, ArgReader } from './args.js';
import { parseSequenceSet, type SeqRange } from './sequence.js';
import type { Token } from './tokens.js';

export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SeqRange[] | null;
  seqMatch: { seqs: SeqRange[]; uids: SeqRange[] } | null;
}

export interface SelectArgs {
  mailbox: string;
  condstore: boolean;
  qresync: QresyncParams | null;
}

function ranges(s: string): SeqRange[] {
  const set = parseSequenceSet(s);
  if (!set || set.kind !== 'ranges') throw new ArgError('Invalid sequence set');
  return set.ranges;
}

export function parseSelect(tokens: readonly Token[], utf8: boolean): SelectArgs {
  const r = new ArgReader(tokens, utf8);
  const mailbox = r.mailbox();
  let condstore = false;
  let qresync: QresyncParams | null = null;
  const params = r.optionalList();
  if (params) {
    const p = new ArgReader(params);
    while (!p.done) {
      const w = p.atom().toUpperCase();
      if (w === 'CONDSTORE') condstore = true;
      else if (w === 'QRESYNC') {
        const q = new ArgReader(p.list());
        const uidValidity = q.nzNumber();
        const modseq = q.number64();
        let knownUids: SeqRange[] | null = null;
        let seqMatch: QresyncParams['seqMatch'] = null;
        const next = q.peek();
        if (next && next.kind === 'atom') knownUids = ranges(q.atom());
        const m = q.optionalList();
        if (m) {
          const mr = new ArgReader(m);
          seqMatch = { seqs: ranges(mr.atom()), uids: ranges(mr.atom()) };
          mr.end();
        }
        q.end();
        qresync = { uidValidity, modseq, knownUids, seqMatch };
      } else throw new ArgError(`Unknown SELECT parameter ${w.slice(0, 40)}`);
    }
  }
  r.end();
  return { mailbox, condstore, qresync };
}
