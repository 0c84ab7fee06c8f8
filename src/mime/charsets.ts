/**
 * Charset decoding on top of the WHATWG TextDecoder that Node ships (full ICU).
 * Unknown or broken labels never throw: they fall back to UTF-8 when the bytes are
 * valid UTF-8 and to ISO-8859-1 otherwise, so a bad header can't stop delivery.
 */

type Decoder = InstanceType<typeof TextDecoder>;

const decoders = new Map<string, Decoder | null>();

function decoderFor(label: string): Decoder | null {
  const key = label.trim().toLowerCase();
  let d = decoders.get(key);
  if (d === undefined) {
    try {
      d = new TextDecoder(aliasOf(key));
    } catch {
      d = null;
    }
    decoders.set(key, d);
  }
  return d;
}

// Labels seen in real mail that the WHATWG encoding table does not know.
function aliasOf(label: string): string {
  switch (label) {
    case 'ascii':
    case 'us-ascii':
    case 'ansi_x3.4-1968':
      return 'utf-8';
    case 'utf8':
      return 'utf-8';
    case 'latin1':
    case 'latin-1':
      return 'iso-8859-1';
    default:
      return label;
  }
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('iso-8859-1');

/** True when the bytes are well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    utf8Fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Bytes in an unknown 8-bit encoding: UTF-8 when it decodes cleanly, else Latin-1. */
export function decodeUnknown(bytes: Uint8Array): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return latin1.decode(bytes);
  }
}

/**
 * Decode bytes in the given charset. A missing charset means US-ASCII, which we read
 * as UTF-8 (8-bit bytes in "ASCII" mail are almost always UTF-8 in practice).
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  if (!charset) return decodeUnknown(bytes);
  const d = decoderFor(charset);
  if (!d) return decodeUnknown(bytes);
  if (d.encoding === 'utf-8') return decodeUnknown(bytes);
  return d.decode(bytes);
}

/** Whether a charset label is one we can decode. */
export function isKnownCharset(charset: string): boolean {
  return decoderFor(charset) !== null;
}
