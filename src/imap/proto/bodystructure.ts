// BODY and BODYSTRUCTURE (RFC 9051 §7.5.2 body, body-type-1part, body-type-mpart) from the MIME tree.
import { getFirstValue, type MimePart } from '../../mime/index.js';
import { parseRawParams } from '../../mime/bodystructure-params.js';
import { formatEnvelope } from './envelope.js';
import { nstr, str } from './response.js';

function params(p: ReadonlyArray<readonly [string, string]>, utf8: boolean): string {
  if (p.length === 0) return 'NIL';
  return `(${p.map(([k, v]) => `${str(k, utf8)} ${str(v, utf8)}`).join(' ')})`;
}

function disposition(part: MimePart, utf8: boolean): string {
  const v = getFirstValue(part.headers, 'content-disposition');
  if (v === undefined) return 'NIL';
  const d = parseRawParams(v);
  if (!d.head) return 'NIL';
  return `(${str(d.head.toLowerCase(), utf8)} ${params(d.params, utf8)})`;
}

/** Type, subtype and parameters as written; a part without Content-Type gets the RFC 2045 default. */
function contentType(part: MimePart): { type: string; subtype: string; params: Array<[string, string]> } {
  const v = getFirstValue(part.headers, 'content-type');
  const raw = v === undefined ? null : parseRawParams(v);
  const ct = part.contentType;
  let type = ct.type;
  let subtype = ct.subtype;
  if (raw && raw.head && !raw.head.includes('/') && /^[a-z0-9!#$&^_.+-]+$/i.test(raw.head)) {
    // "Content-Type: text": Dovecot shows the type with an empty subtype.
    type = raw.head.toLowerCase();
    subtype = '';
  }
  const p: Array<[string, string]> = raw && part.hasContentType ? raw.params : [];
  // Text without a charset is US-ASCII (RFC 2045 §5.2); say so, as Dovecot does.
  if (type === 'text' && !p.some(([k]) => k === 'charset')) p.unshift(['charset', 'us-ascii']);
  return { type, subtype, params: p };
}

/** Lines of a body: its LF count (Dovecot's rule; the CRLF before a boundary belongs to the boundary). */
function lines(part: MimePart, raw: Uint8Array | undefined): number {
  if (!raw) return part.bodyLines;
  let n = 0;
  for (let i = part.bodyStart; i < part.bodyEnd; i++) if (raw[i] === 10) n++;
  return n;
}

function language(part: MimePart, utf8: boolean): string {
  const v = getFirstValue(part.headers, 'content-language');
  if (v === undefined) return 'NIL';
  const langs = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (langs.length === 0) return 'NIL';
  // Always a list, even of one (both forms are valid; Dovecot's is this one).
  return `(${langs.map((l) => str(l, utf8)).join(' ')})`;
}

function location(part: MimePart, utf8: boolean): string {
  return nstr(getFirstValue(part.headers, 'content-location') ?? null, utf8);
}

const EMPTY_PART = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0';

/**
 * `raw` is the message the tree was parsed from; with it, line counts are exact LF counts (without it,
 * the parser's count is used).
 */
export function formatBodyStructure(
  part: MimePart,
  extensible: boolean,
  utf8 = false,
  raw?: Uint8Array,
): string {
  if (part.contentType.type === 'multipart') {
    const ct = contentType(part);
    // A multipart without parts still needs one body (RFC 9051 grammar: 1*body): an empty text part, as Dovecot does.
    const kids = part.children.length
      ? part.children.map((c) => formatBodyStructure(c, extensible, utf8, raw)).join('')
      : `${EMPTY_PART}${extensible ? ' NIL NIL NIL NIL' : ''})`;
    let out = `(${kids} ${str(part.contentType.subtype, utf8)}`;
    if (extensible)
      out += ` ${params(ct.params, utf8)} ${disposition(part, utf8)} ${language(part, utf8)} ${location(part, utf8)}`;
    return `${out})`;
  }
  const ct = contentType(part);
  const fields = [
    str(ct.type, utf8),
    str(ct.subtype, utf8),
    params(ct.params, utf8),
    nstr(getFirstValue(part.headers, 'content-id') ?? null, utf8),
    nstr(getFirstValue(part.headers, 'content-description') ?? null, utf8),
    str(part.transferEncoding || '7bit', utf8),
    String(part.bodyEnd - part.bodyStart),
  ];
  if (part.message) {
    fields.push(formatEnvelope(part.message.headers, utf8));
    fields.push(formatBodyStructure(part.message, extensible, utf8, raw));
    fields.push(String(lines(part, raw)));
  } else if (ct.type === 'text') {
    fields.push(String(lines(part, raw)));
  }
  if (extensible) {
    fields.push('NIL', disposition(part, utf8), language(part, utf8), location(part, utf8));
  }
  return `(${fields.join(' ')})`;
}
