/**
 * The message as scripts see it: a parsed MIME tree over the raw bytes, plus a mutable
 * copy of the top-level header list for editheader (RFC 5293).
 */
import {
  decodeEncodedWords,
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

export class SieveMessage {
  readonly raw: Uint8Array;
  readonly root: MimePart;
  private hdrs: EditableHeader[];
  private edited = false;

  constructor(raw: Uint8Array) {
    this.raw = raw;
    this.root = parseMessage(raw);
    this.hdrs = this.root.headers.map((h) => ({ name: h.name, value: h.value, raw: h.raw }));
  }

  /** Size with bare LF counted as CRLF (what the message would be on the wire). */
  get size(): number {
    const crlfSize = (b: Uint8Array): number => {
      let n = b.length;
      for (let i = 0; i < b.length; i++) if (b[i] === 10 && b[i - 1] !== 13) n++;
      return n;
    };
    if (!this.edited) return crlfSize(this.raw);
    const head = this.hdrs.reduce((s, h) => s + crlfSize(Buffer.from(h.raw, 'utf8')) + 2, 2);
    return head + crlfSize(this.raw.subarray(this.root.headerEnd));
  }

  get headers(): readonly EditableHeader[] {
    return this.hdrs;
  }

  get isEdited(): boolean {
    return this.edited;
  }

  /** Raw (unfolded, undecoded) values of a header field, in order. */
  rawValues(name: string): string[] {
    const l = name.toLowerCase();
    return this.hdrs.filter((h) => h.name.toLowerCase() === l).map((h) => h.value);
  }

  /** Decoded values (RFC 2047), trailing whitespace removed. */
  values(name: string): string[] {
    return this.rawValues(name).map((v) => decodeEncodedWords(v).replace(/[ \t]+$/, ''));
  }

  addHeader(name: string, value: string, last: boolean): void {
    const h = { name, value: unfold(value), raw: `${name}: ${value}` };
    if (last) this.hdrs.push(h);
    else this.hdrs.unshift(h);
    this.edited = true;
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
    if (removed) this.edited = true;
    return removed;
  }

  /** Snapshot of the current header list. */
  snapshot(): EditableHeader[] {
    return this.hdrs.map((h) => ({ ...h }));
  }

  /** All parts, depth first (the message itself first). */
  parts(): MimePart[] {
    return walkParts(this.root);
  }
}

export type { HeaderField, MimePart };
