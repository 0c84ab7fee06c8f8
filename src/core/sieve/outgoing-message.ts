// The small messages Sieve sends on its own (vacation replies, mailto notifications): header fields
// encoded per RFC 2047, a text body in a transfer encoding every relay accepts.
import { randomBytes } from 'node:crypto';
import { encodeHeaderValue } from '../../mime/index.js';
import { rfc5322Date } from '../../wire/date.js';

export interface TextMessage {
  /** [name, value]; values of address fields are passed through `mailbox()` and not re-encoded. */
  headers: Array<[string, string] | [string, string, 'encoded']>;
  /** Plain text body (UTF-8), or with `mimeEntity` a whole MIME entity (its headers, blank line, body). */
  body: string;
  mimeEntity?: boolean;
}

const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

export function newMessageId(hostname: string): string {
  return `<sieve.${Date.now().toString(36)}.${randomBytes(8).toString('hex')}@${hostname}>`;
}

/** Header values with non-ASCII text become encoded words; addresses are passed in ASCII already. */
export function field(name: string, value: string): string {
  return `${name}: ${encodeHeaderValue(value.replace(/[\r\n]+/g, ' '))}\r\n`;
}

/** An address field value: the display name quoted or RFC 2047-encoded, the address as it is. */
export function mailbox(name: string, address: string): string {
  if (!name) return address;
  if (/[^\x20-\x7e]/.test(name)) return `${encodeHeaderValue(name)} <${address}>`;
  const atom = /^[\w !#$%&'*+\-/=?^`{|}~]*$/.test(name);
  return `${atom ? name : `"${name.replace(/["\\]/g, '\\$&')}"`} <${address}>`;
}

export function buildMessage(m: TextMessage, at: number): Buffer {
  let head =
    m.headers.map(([n, v, enc]) => (enc ? `${n}: ${v}\r\n` : field(n, v))).join('') +
    field('Date', rfc5322Date(at));
  head += 'MIME-Version: 1.0\r\n';
  if (m.mimeEntity) {
    // :mime (RFC 5230 §5.6): the reason carries its own Content-* fields and body.
    return Buffer.from(head + crlf(m.body), 'utf8');
  }
  const body = crlf(m.body).replace(/(\r\n)?$/, '\r\n');
  const plain = /^[\x00-\x7f]*$/.test(body) && body.split('\r\n').every((l) => l.length <= 998);
  head += 'Content-Type: text/plain; charset=utf-8\r\n';
  if (plain) return Buffer.from(`${head}Content-Transfer-Encoding: 7bit\r\n\r\n${body}`, 'utf8');
  const b64 = Buffer.from(body, 'utf8').toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(`${head}Content-Transfer-Encoding: base64\r\n\r\n${b64}\r\n`, 'utf8');
}
