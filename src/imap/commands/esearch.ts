// The ESEARCH response (RFC 4731 §3.1) that SEARCH RETURN and SORT RETURN (ESORT, RFC 5267 §3) share,
// with PARTIAL (RFC 5267 §4.4) and CONDSTORE's MODSEQ (RFC 7162 §3.1.5).
import { formatSequenceSet } from '../proto/sequence.js';
import { quote } from '../proto/response.js';
import type { SearchReturn } from '../proto/search.js';

export interface EsearchResult {
  tag: string;
  uid: boolean;
  /** Message numbers or UIDs, ascending for SEARCH, in sort order for SORT. */
  ids: readonly number[];
  returns: readonly SearchReturn[];
  partial: [number, number] | null;
  /** MIN and MAX are the first and last in `ids` order (SORT: "lowest-sorted", RFC 5267 §3). */
  sorted: boolean;
  modseq: number | null;
}

export function esearchLine(r: EsearchResult): string {
  const { ids, returns } = r;
  let line = `* ESEARCH (TAG ${quote(r.tag)})${r.uid ? ' UID' : ''}`;
  if (ids.length > 0) {
    const min = r.sorted ? ids[0]! : Math.min(...ids.slice(0, 1), ids[0]!);
    const max = ids[ids.length - 1]!;
    if (returns.includes('MIN')) line += ` MIN ${min}`;
    if (returns.includes('MAX')) line += ` MAX ${max}`;
    if (returns.includes('ALL')) line += ` ALL ${formatSequenceSet(ids)}`;
  }
  if (returns.includes('PARTIAL') && r.partial) {
    const [a, b] = r.partial;
    const part = ids.slice(a - 1, b);
    line += ` PARTIAL (${a}:${b} ${part.length ? formatSequenceSet(part) : 'NIL'})`;
  }
  if (returns.includes('COUNT')) line += ` COUNT ${ids.length}`;
  if (r.modseq !== null && ids.length > 0) line += ` MODSEQ ${r.modseq}`;
  return line;
}
