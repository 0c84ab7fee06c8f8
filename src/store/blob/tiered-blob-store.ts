// Message bodies in two tiers behind one BlobStore: bodies up to `inlineMax` bytes in the SQL
// database (committed with the rows that point at them), larger ones as files. Readers do not need
// to know where a body is: the database is asked first (one indexed lookup), then the files. A body
// can be in both tiers (the threshold changed between two deliveries of the same content): both
// copies are the same bytes, list() names it once and delete() removes both.
import type { BlobStore } from '../ports.js';

/** The database tier: like any BlobStore, plus a lookup that says "not here" without throwing. */
export interface InlineBlobTier extends BlobStore {
  find(hash: string): Promise<Buffer | undefined>;
}

export class TieredBlobStore implements BlobStore {
  constructor(
    private readonly inline: InlineBlobTier,
    private readonly files: BlobStore,
    /** Largest body kept in the database; 0 keeps every body in files. */
    readonly inlineMax: number,
  ) {}

  joinsTransactions(size: number): boolean {
    return size <= this.inlineMax;
  }

  put(data: Uint8Array): Promise<{ hash: string; size: number }> {
    return this.joinsTransactions(data.byteLength) ? this.inline.put(data) : this.files.put(data);
  }

  async get(hash: string): Promise<Buffer> {
    return (await this.inline.find(hash)) ?? this.files.get(hash);
  }

  async has(hash: string): Promise<boolean> {
    return (await this.inline.has(hash)) || this.files.has(hash);
  }

  async delete(hash: string): Promise<void> {
    await this.inline.delete(hash);
    await this.files.delete(hash);
  }

  /** The files tier's clean-up of interrupted writes (FsBlobStore.removeStaleTemporaries), for the housekeeping. */
  async removeStaleTemporaries(olderThanMs: number, now?: number): Promise<number> {
    const files = this.files as Partial<{
      removeStaleTemporaries(ms: number, now?: number): Promise<number>;
    }>;
    return files.removeStaleTemporaries ? files.removeStaleTemporaries(olderThanMs, now) : 0;
  }

  /** Both tiers list in hash order: merged, so a hash in both is named once. */
  async *list(): AsyncIterable<string> {
    const a = this.inline.list()[Symbol.asyncIterator]();
    const b = this.files.list()[Symbol.asyncIterator]();
    let x = await a.next();
    let y = await b.next();
    while (!x.done || !y.done) {
      if (y.done || (!x.done && x.value < y.value)) {
        yield x.value as string;
        x = await a.next();
      } else if (x.done || y.value < x.value) {
        yield y.value;
        y = await b.next();
      } else {
        yield x.value;
        x = await a.next();
        y = await b.next();
      }
    }
  }
}
