// ENVELOPE, BODY and BODYSTRUCTURE as sent, kept per blob: a blob's content never changes (it is named
// by its SHA-256), so neither do they (RFC 9051 §2.3: they are static for a message). A client paging
// through a folder, or several sessions listing the same one, then read and parse each body only once
// in this process. Bounded by the characters held, least recently used dropped first.

export type StructureItem = 'envelope' | 'body' | 'bodystructure';

/** The same message formats differently for UTF-8 clients (quoted UTF-8 instead of literals / encoded words). */
function key(hash: string, item: StructureItem, utf8: boolean): string {
  return `${hash}:${item}:${utf8 ? 8 : 7}`;
}

export class StructureCache {
  private readonly map = new Map<string, string>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(hash: string, item: StructureItem, utf8: boolean): string | undefined {
    const k = key(hash, item, utf8);
    const v = this.map.get(k);
    if (v === undefined) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.map.delete(k);
    this.map.set(k, v);
    return v;
  }

  set(hash: string, item: StructureItem, utf8: boolean, value: string): void {
    if (value.length > this.maxChars / 8) return;
    const k = key(hash, item, utf8);
    const old = this.map.get(k);
    if (old !== undefined) {
      this.map.delete(k);
      this.chars -= old.length + k.length;
    }
    this.map.set(k, value);
    this.chars += value.length + k.length;
    for (const [ok, ov] of this.map) {
      if (this.chars <= this.maxChars) break;
      this.map.delete(ok);
      this.chars -= ov.length + ok.length;
    }
  }

  get size(): number {
    return this.map.size;
  }
}

/** One per process, shared by all sessions: about 16 M characters (some 32 MB at most). */
export const structureCache = new StructureCache(16 * 1024 * 1024);
