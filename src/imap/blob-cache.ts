// Raw messages read for FETCH, kept per blob hash: a blob never changes (it is named by its SHA-256),
// so a copy read once serves every later FETCH of that message in this process — several sessions on
// one folder, or a client fetching headers and then the body. Small messages only, bounded by total
// bytes, least recently used dropped first. Reads of the same blob under way are shared.
import type { Core } from '../core/context.js';

const MAX_ONE = 256 * 1024;
const MAX_TOTAL = 16 * 1024 * 1024;

export class BlobCache {
  private readonly map = new Map<string, Buffer>();
  private readonly reading = new Map<string, Promise<Buffer>>();
  private bytes = 0;

  constructor(
    private readonly maxTotal = MAX_TOTAL,
    private readonly maxOne = MAX_ONE,
  ) {}

  read(core: Core, hash: string): Promise<Buffer> {
    const hit = this.map.get(hash);
    if (hit !== undefined) {
      this.map.delete(hash);
      this.map.set(hash, hit);
      return Promise.resolve(hit);
    }
    let p = this.reading.get(hash);
    if (p === undefined) {
      p = core.store.blobs.get(hash).then(
        (raw) => {
          this.reading.delete(hash);
          this.put(hash, raw);
          return raw;
        },
        (e: unknown) => {
          this.reading.delete(hash);
          throw e;
        },
      );
      this.reading.set(hash, p);
    }
    return p;
  }

  private put(hash: string, raw: Buffer): void {
    if (raw.length > this.maxOne || this.map.has(hash)) return;
    this.map.set(hash, raw);
    this.bytes += raw.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxTotal) break;
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }
}

export const blobCache = new BlobCache();
