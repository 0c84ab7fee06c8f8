// STORE arguments (RFC 9051 §6.4.6) with UNCHANGEDSINCE (RFC 7162 §3.1.3).
import { ArgError, ArgReader } from './args.js';
import type { SequenceSet } from './sequence.js';
import type { Token } from './tokens.js';

export interface StoreArgs {
  set: SequenceSet;
  op: 'set' | 'add' | 'remove';
  silent: boolean;
  flags: string[];
  unchangedSince: number | null;
}

export function parseStore(tokens: readonly Token[]): StoreArgs {
  const r = new ArgReader(tokens);
  const set = r.sequenceSet();
  let unchangedSince: number | null = null;
  const mods = r.optionalList();
  if (mods) {
    const m = new ArgReader(mods);
    while (!m.done) {
      const w = m.atom().toUpperCase();
      if (w !== 'UNCHANGEDSINCE') throw new ArgError(`Unknown STORE modifier ${w.slice(0, 40)}`);
      unchangedSince = m.number64();
    }
  }
  const item = /^([+-]?)FLAGS(\.SILENT)?$/i.exec(r.atom());
  if (!item) throw new ArgError('Invalid STORE data item');
  const flags = r.done ? [] : r.flagList();
  // Flags may also come unparenthesised, several of them (RFC 9051 §9 store-att-flags).
  while (!r.done) flags.push(...r.flagList());
  if (flags.includes('\\Recent')) throw new ArgError('\\Recent cannot be stored');
  const op = item[1] === '+' ? 'add' : item[1] === '-' ? 'remove' : 'set';
  return { set, op, silent: item[2] !== undefined, flags: [...new Set(flags)], unchangedSince };
}
