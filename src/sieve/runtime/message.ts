/**
 * The message as scripts see it: the raw bytes, a mutable copy of the top-level header list for
 * editheader (RFC 5293), and the MIME tree over the raw bytes.
 *
 * Most scripts only read headers, so only the header section is parsed up front; the MIME tree
 * (which walks the whole body) is built the first time a body, mime or size-of-edited test asks
 * for `root`. Header values are indexed by lower-case name and decoded once per message, and
 * parsed address lists are kept per value: a 20-rule script reads From a dozen times.
 */
import {
  decodeEncodedWords,
  parseHeaderSection,
  parseMessage,
  unfold,
  walkParts,
  type HeaderField,
  type MimePart,
} from '../../mime/index.js';

export interface EditableHeader {
  readonly name: string;
  /** Unfolded raw value (leading whitespace removed). */
  readonly value: string;
  /** Whole field as it would be written. */
  readonly raw: string;
}

/** Length with bare LF counted as CRLF; indexOf is native, so this costs little per byte. */
function crlfSize(b: Uint8Array): number {
  let n = b.length;
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) if (b[i - 1] !== 13) n++;
  return n;
}

export class SieveMessage {
  readonly raw: Uint8Array;
  private tree: MimePart | undefined;
  /** Offset just past the top-level header section (the blank line included). */
  private readonly headerEnd: number;
  private hdrs: EditableHeader[];
  private edited = false;
  /** Per lower-case name: raw values, then decoded values; dropped on every header edit. */
  private rawIndex: Map<string, string[]> | undefined;
  private readonly decodedCache = new Map<string, string[]>();
  private sizeCache = -1;
  /**
   * Data derived from a header value (parsed addresses), keyed by the value itself: the strings
   * come from the header index, so their hashes are computed once.
   */
  readonly valueCache = new Map<string, unknown>();

  constructor(raw: Uint8Array) {
    this.raw = raw;
    const section = parseHeaderSection(raw, 0, raw.length);
    this.headerEnd = section.end;
    // The parsed fields are used as they are (their byte offsets ride along unused); snapshot()
    // copies only name, value and raw.
    this.hdrs = section.fields;
  }

  /** The MIME tree, parsed on first use. */
  get root(): MimePart {
    return (this.tree ??= parseMessage(this.raw));
  }

  /** Size with bare LF counted as CRLF (what the message would be on the wire). */
  get size(): number {
    if (this.sizeCache >= 0) return this.sizeCache;
    let s: number;
    if (!this.edited) s = crlfSize(this.raw);
    else {
      const head = this.hdrs.reduce((t, h) => t + crlfSize(Buffer.from(h.raw, 'utf8')) + 2, 2);
      s = head + crlfSize(this.raw.subarray(this.headerEnd));
    }
    this.sizeCache = s;
    return s;
  }

  get headers(): readonly EditableHeader[] {
    return this.hdrs;
  }

  get isEdited(): boolean {
    return this.edited;
  }

  private index(): Map<string, string[]> {
    if (this.rawIndex) return this.rawIndex;
    const m = new Map<string, string[]>();
    for (const h of this.hdrs) {
      const l = h.name.toLowerCase();
      const list = m.get(l);
      if (list) list.push(h.value);
      else m.set(l, [h.value]);
    }
    return (this.rawIndex = m);
  }

  /** Raw (unfolded, undecoded) values of a header field, in order. */
  rawValues(name: string): string[] {
    const list = this.index().get(name.toLowerCase());
    return list ? list.slice() : [];
  }

  /** Decoded values (RFC 2047), trailing whitespace removed. */
  values(name: string): string[] {
    const l = name.toLowerCase();
    let d = this.decodedCache.get(l);
    if (!d) {
      d = (this.index().get(l) ?? []).map((v) => decodeEncodedWords(v).replace(/[ \t]+$/, ''));
      this.decodedCache.set(l, d);
    }
    return d.slice();
  }

  private changed(): void {
    this.edited = true;
    this.rawIndex = undefined;
    this.decodedCache.clear();
    this.sizeCache = -1;
  }

  addHeader(name: string, value: string, last: boolean): void {
    const h = { name, value: unfold(value), raw: `${name}: ${value}` };
    if (last) this.hdrs.push(h);
    else this.hdrs.unshift(h);
    this.changed();
  }

  /** Delete fields selected by `pick(h, occurrenceIndex)`; returns how many were removed. */
  deleteHeaders(name: string, pick: (h: EditableHeader, index: number, total: number) => boolean): number {
    const l = name.toLowerCase();
    const total = this.hdrs.filter((h) => h.name.toLowerCase() === l).length;
    let idx = 0;
    let removed = 0;
    this.hdrs = this.hdrs.filter((h) => {
      if (h.name.toLowerCase() !== l) return true;
      idx++;
      if (pick(h, idx, total)) {
        removed++;
        return false;
      }
      return true;
    });
    if (removed) this.changed();
    return removed;
  }

  /** Snapshot of the current header list. */
  snapshot(): EditableHeader[] {
    return this.hdrs.map((h) => ({ name: h.name, value: h.value, raw: h.raw }));
  }

  /** All parts, depth first (the message itself first). */
  parts(): MimePart[] {
    return walkParts(this.root);
  }
}

export type { HeaderField, MimePart };
