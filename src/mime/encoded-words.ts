/**
 * RFC 2047 encoded-word decoding for unstructured header text and phrases.
 * Adjacent encoded words (separated only by whitespace) are joined before charset
 * decoding, because senders split multi-byte characters across words.
 */
import { decodeCharset } from './charsets.js';
import { decodeBase64, decodeQuotedPrintable } from './transfer-encoding.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

const encoder = new TextEncoder();

function wordBytes(encoding: string, text: string): Uint8Array {
  const raw = encoder.encode(text);
  return encoding === 'b' || encoding === 'B' ? decodeBase64(raw) : decodeQuotedPrintable(raw, true);
}

/** Decode every encoded word in `value`; malformed words stay as they are. */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let pending: { charset: string; chunks: Uint8Array[] } | null = null;
  const flush = (): void => {
    if (!pending) return;
    const total = pending.chunks.reduce((s, c) => s + c.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const c of pending.chunks) {
      buf.set(c, o);
      o += c.length;
    }
    out += decodeCharset(buf, pending.charset);
    pending = null;
  };
  for (const m of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, m.index);
    // RFC 2231 §5 allows "charset*language"; the language is irrelevant here.
    const charset = m[1]!.split('*')[0]!.toLowerCase();
    const bytes = wordBytes(m[2]!, m[3]!);
    if (pending && /^[ \t\r\n]*$/.test(between)) {
      if (pending.charset === charset) pending.chunks.push(bytes);
      else {
        flush();
        pending = { charset, chunks: [bytes] };
      }
    } else {
      flush();
      out += between;
      pending = { charset, chunks: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

function needsEncoding(s: string): boolean {
  return /[^\x20-\x7e]/.test(s);
}

/**
 * Encode a header value as RFC 2047 "B" words in UTF-8 when it has non-ASCII text;
 * ASCII values are returned as they are.
 */
export function encodeHeaderValue(value: string): string {
  if (!needsEncoding(value)) return value;
  const words: string[] = [];
  let chunk = '';
  // 45 UTF-8 bytes per word keeps each encoded word under 75 characters.
  for (const ch of value) {
    if (encoder.encode(chunk + ch).length > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}
