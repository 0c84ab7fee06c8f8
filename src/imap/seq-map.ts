// The message sequence number -> UID map of a selected mailbox (RFC 9051 §2.3.1.2): one Uint32Array,
// ascending, so a 100k-message folder costs 400 KB and no message objects.

export class SeqMap {
  private uids: Uint32Array;
  private len = 0;

  constructor(initial: readonly number[] = []) {
    this.uids = new Uint32Array(Math.max(16, initial.length + 16));
    for (const u of initial) this.uids[this.len++] = u;
  }

  get size(): number {
    return this.len;
  }

  get maxUid(): number {
    return this.len === 0 ? 0 : this.uids[this.len - 1]!;
  }

  /** UID of sequence number `seq` (1-based), or 0. */
  uidAt(seq: number): number {
    return seq >= 1 && seq <= this.len ? this.uids[seq - 1]! : 0;
  }

  /** Sequence number of `uid`, or 0 when it is not in the map. */
  seqOf(uid: number): number {
    const i = this.lowerBound(uid);
    return i < this.len && this.uids[i] === uid ? i + 1 : 0;
  }

  /** Index of the first UID >= uid. */
  lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid]! < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Appends UIDs larger than every UID in the map. */
  push(uid: number): void {
    if (uid <= this.maxUid) return;
    if (this.len === this.uids.length) {
      const bigger = new Uint32Array(this.uids.length * 2);
      bigger.set(this.uids);
      this.uids = bigger;
    }
    this.uids[this.len++] = uid;
  }

  /** Removes `uid`; returns the sequence number it had, or 0. */
  remove(uid: number): number {
    const seq = this.seqOf(uid);
    if (seq === 0) return 0;
    this.uids.copyWithin(seq - 1, seq, this.len);
    this.len--;
    return seq;
  }

  /** UIDs of the sequence ranges (already resolved, 1-based inclusive), ascending, deduplicated. */
  uidsForSeqRanges(ranges: ReadonlyArray<readonly [number, number]>): number[] {
    const seqs = new Set<number>();
    for (const [a, b] of ranges) for (let s = Math.max(1, a); s <= Math.min(b, this.len); s++) seqs.add(s);
    return [...seqs].sort((x, y) => x - y).map((s) => this.uids[s - 1]!);
  }

  /** UIDs in the map that fall inside the UID ranges, ascending. */
  uidsForUidRanges(ranges: ReadonlyArray<readonly [number, number]>): number[] {
    const out = new Set<number>();
    for (const [a, b] of ranges) {
      for (let i = this.lowerBound(a); i < this.len && this.uids[i]! <= b; i++) out.add(this.uids[i]!);
    }
    return [...out].sort((x, y) => x - y);
  }

  *entries(): Generator<[number, number]> {
    for (let i = 0; i < this.len; i++) yield [i + 1, this.uids[i]!];
  }

  toArray(): number[] {
    return Array.from(this.uids.subarray(0, this.len));
  }
}
