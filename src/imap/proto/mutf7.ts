// Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): what IMAP4rev1 clients send and expect unless
// UTF8=ACCEPT or IMAP4rev2 is enabled (RFC 6855, RFC 9051 §5.1).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';

export function encodeMailboxName(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      out += c === 0x26 ? '&-' : name[i];
      i++;
      continue;
    }
    let j = i;
    while (j < name.length && (name.charCodeAt(j) < 0x20 || name.charCodeAt(j) > 0x7e)) j++;
    const units: number[] = [];
    for (let k = i; k < j; k++) {
      const u = name.charCodeAt(k);
      units.push(u >> 8, u & 0xff);
    }
    let bits = 0;
    let acc = 0;
    out += '&';
    for (const b of units) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += B64[(acc >> bits) & 63];
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += B64[(acc << (6 - bits)) & 63];
    out += '-';
    i = j;
  }
  return out;
}

/** Decodes a modified UTF-7 name; null when it is not valid modified UTF-7. */
export function decodeMailboxName(s: string): string | null {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return null;
    if (ch !== '&') {
      out += ch;
      i++;
      continue;
    }
    const end = s.indexOf('-', i + 1);
    if (end < 0) return null;
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    let bits = 0;
    let acc = 0;
    const units: number[] = [];
    let bytes: number[] = [];
    for (let k = i + 1; k < end; k++) {
      const v = B64.indexOf(s[k]!);
      if (v < 0) return null;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes.push((acc >> bits) & 0xff);
        acc &= (1 << bits) - 1;
        if (bytes.length === 2) {
          units.push((bytes[0]! << 8) | bytes[1]!);
          bytes = [];
        }
      }
    }
    // Leftover bits must be zero padding, and a whole UTF-16 unit must have been encoded.
    if (bytes.length !== 0 || acc !== 0 || bits >= 6) return null;
    const text = String.fromCharCode(...units);
    // Printable ASCII must not be encoded (RFC 3501 §5.1.3), and surrogates must pair up.
    if (/[\x20-\x7e]/.test(text) || LONE_SURROGATE.test(text)) return null;
    out += text;
    i = end + 1;
  }
  return out;
}
