// BODY and BODYSTRUCTURE (RFC 9051 §7.5.2 body, body-type-1part, body-type-mpart) from the MIME tree.
import { getFirstValue, type MimePart } from '../../mime/index.js';
import { formatEnvelope } from './envelope.js';
import { nstr, str } from './response.js';

function params(p: Record<string, string>, utf8: boolean): string {
  const keys = Object.keys(p);
  if (keys.length === 0) return 'NIL';
  return `(${keys.map((k) => `${str(k, utf8)} ${str(p[k]!, utf8)}`).join(' ')})`;
}

function disposition(part: MimePart, utf8: boolean): string {
  if (!part.disposition) return 'NIL';
  return `(${str(part.disposition.type, utf8)} ${params(part.disposition.params, utf8)})`;
}

function language(part: MimePart, utf8: boolean): string {
  const v = getFirstValue(part.headers, 'content-language');
  if (v === undefined) return 'NIL';
  const langs = v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (langs.length === 0) return 'NIL';
  return langs.length === 1 ? str(langs[0]!, utf8) : `(${langs.map((l) => str(l, utf8)).join(' ')})`;
}

function location(part: MimePart, utf8: boolean): string {
  return nstr(getFirstValue(part.headers, 'content-location') ?? null, utf8);
}

const EMPTY_PART = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0';

export function formatBodyStructure(part: MimePart, extensible: boolean, utf8 = false): string {
  const ct = part.contentType;
  if (ct.type === 'multipart') {
    // A multipart without parts still needs one body (RFC 9051 grammar: 1*body): an empty text part, as Dovecot does.
    const kids = part.children.length
      ? part.children.map((c) => formatBodyStructure(c, extensible, utf8)).join('')
      : `${EMPTY_PART}${extensible ? ' NIL NIL NIL NIL' : ''})`;
    let out = `(${kids} ${str(ct.subtype, utf8)}`;
    if (extensible)
      out += ` ${params(ct.params, utf8)} ${disposition(part, utf8)} ${language(part, utf8)} ${location(part, utf8)}`;
    return `${out})`;
  }
  const p = { ...ct.params };
  if (!part.hasContentType && ct.type === 'text' && p['charset'] === undefined) p['charset'] = 'us-ascii';
  const fields = [
    str(ct.type, utf8),
    str(ct.subtype, utf8),
    params(p, utf8),
    nstr(getFirstValue(part.headers, 'content-id') ?? null, utf8),
    nstr(getFirstValue(part.headers, 'content-description') ?? null, utf8),
    str(part.transferEncoding || '7bit', utf8),
    String(part.bodyEnd - part.bodyStart),
  ];
  if (part.message) {
    fields.push(formatEnvelope(part.message.headers, utf8));
    fields.push(formatBodyStructure(part.message, extensible, utf8));
    fields.push(String(part.bodyLines));
  } else if (ct.type === 'text') {
    fields.push(String(part.bodyLines));
  }
  if (extensible) {
    fields.push('NIL', disposition(part, utf8), language(part, utf8), location(part, utf8));
  }
  return `(${fields.join(' ')})`;
}
