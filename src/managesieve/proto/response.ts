// Server responses (RFC 5804 §4):
//   response = response-oknobye; response-oknobye = ("OK" / "NO" / "BYE") [SP "(" resp-code ")"] [SP string] CRLF
// Strings go out quoted when they can (short, no CR/LF) and as `{N}` literals otherwise.
import { MAX_QUOTED } from './tokenizer.js';

export type Status = 'OK' | 'NO' | 'BYE';

/** A string as the server sends it: quoted, or a `literal-s2c` for long or multi-line values. */
export function msString(value: string | Buffer): string {
  const buf = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const text = buf.toString('utf8');
  if (buf.length <= MAX_QUOTED && !/[\r\n\0]/.test(text))
    return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `{${buf.length}}\r\n${text}`;
}

/**
 * One response line. `code` is the resp-code without parentheses, already formatted
 * (`NONEXISTENT`, `QUOTA/MAXSIZE`, `TAG "x"`, `SASL "..."`).
 */
export function responseLine(status: Status, code?: string, text?: string): string {
  let out: string = status;
  if (code) out += ` (${code})`;
  if (text !== undefined && text !== '') out += ` ${msString(text)}`;
  return `${out}\r\n`;
}

/** A `TAG` response code (RFC 5804 §1.3) echoing the client's string. */
export function tagCode(value: Buffer): string {
  return `TAG ${msString(value)}`;
}
