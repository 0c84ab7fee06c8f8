/** body test (RFC 5173): :raw, :content <types>, :text transforms. */
import type { Extension } from '../extension.js';
import { bodyText, decodeUnknown, getFirstValue, rawBody, type MimePart } from '../../mime/index.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import type { Runtime } from '../runtime/runtime.js';
import { MATCH_TAGS } from './tags.js';

function typeMatches(part: MimePart, wanted: readonly string[]): boolean {
  const t = part.contentType.type;
  const full = `${t}/${part.contentType.subtype}`;
  return wanted.some((w) => {
    const l = w.toLowerCase();
    return l === '' || l === t || l === full;
  });
}

const TOKEN = '[^\\s()<>@,;:\\\\"/\\[\\]?=]+';
const VALID_CONTENT_TYPE = new RegExp(`^\\s*${TOKEN}\\s*/\\s*${TOKEN}\\s*(;|$)`);
const KNOWN_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/**
 * Whether :text can read a part: its Content-Type, when present, must parse (Pigeonhole
 * skips "text/plain/stupid"), and its Content-Transfer-Encoding must be one we can undo.
 */
function readable(part: MimePart): boolean {
  const ct = getFirstValue(part.headers, 'content-type');
  if (ct !== undefined && !VALID_CONTENT_TYPE.test(ct)) return false;
  return KNOWN_ENCODINGS.has(part.transferEncoding);
}

/** Leaf parts in order, descending into multiparts and encapsulated messages. */
function leaves(part: MimePart, out: MimePart[] = []): MimePart[] {
  if (part.children.length) for (const c of part.children) leaves(c, out);
  else if (part.message) leaves(part.message, out);
  else out.push(part);
  return out;
}

function allParts(part: MimePart, out: MimePart[] = []): MimePart[] {
  out.push(part);
  for (const c of part.children) allParts(c, out);
  if (part.message) allParts(part.message, out);
  return out;
}

/** Plain text of an HTML part, for :text (RFC 5173 §5.2 lets us strip markup). */
export function htmlToText(html: string): string {
  // Passes that cannot change anything are skipped (each one copies the whole text).
  let t = /<(script|style)/i.test(html) ? html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '') : html;
  t = t.replace(/<[^>]*>/g, '');
  if (!t.includes('&')) return t;
  return t
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** HTML-like types whose markup :text strips. */
function isHtml(part: MimePart): boolean {
  const full = `${part.contentType.type}/${part.contentType.subtype}`;
  return full === 'text/html' || full === 'application/xhtml+xml';
}

/**
 * A message of a header only, without the empty line that starts a body, has no body at
 * all: every body test is false, even one for "" (RFC 5173 §5).
 */
function hasBody(raw: Uint8Array, root: MimePart): boolean {
  if (root.bodyEnd > root.bodyStart) return true;
  const h = root.headerEnd;
  if (h === 0) return false;
  return raw[h - 1] === 10 && (raw[h - 2] === 10 || (raw[h - 2] === 13 && raw[h - 3] === 10) || h <= 2);
}

/** Preamble and epilogue of a multipart, each as one string (RFC 5173 §5.2). */
function preambleEpilogue(raw: Uint8Array, part: MimePart): string[] {
  const text = latin1(raw.subarray(part.bodyStart, part.bodyEnd));
  if (!part.boundary) return [text];
  const lines = text.split(/(?<=\n)/);
  const delim = `--${part.boundary}`;
  const isDelim = (l: string): boolean => l.startsWith(delim);
  const first = lines.findIndex(isDelim);
  if (first < 0) return [text];
  const out = [
    lines
      .slice(0, first)
      .join('')
      .replace(/\r?\n$/, ''),
  ];
  const close = lines.findIndex((l) => l.replace(/[ \t]*\r?\n$/, '') === `${delim}--`);
  if (close >= 0) out.push(lines.slice(close + 1).join(''));
  return out.map((x) => decodeUnknown(Buffer.from(x, 'latin1')));
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

export function bodyValues(
  rt: Runtime,
  transform: 'raw' | 'text' | 'content',
  types: readonly string[],
): string[] {
  const msg = rt.message;
  const root = msg.root;
  if (!hasBody(msg.raw, root)) return [];
  if (transform === 'raw') return [decodeUnknown(rawBody(msg.raw, root))];
  if (transform === 'text') {
    return leaves(root)
      .filter((p) => (p.contentType.type === 'text' || isHtml(p)) && readable(p))
      .map((p) => (isHtml(p) ? htmlToText(bodyText(msg.raw, p)) : bodyText(msg.raw, p)));
  }
  const out: string[] = [];
  for (const p of allParts(root)) {
    if (!typeMatches(p, types)) continue;
    if (p.contentType.type === 'multipart') {
      // Only the preamble and the epilogue of a multipart are searched (RFC 5173 §5.2).
      out.push(...preambleEpilogue(msg.raw, p));
      continue;
    }
    if (p.message && p.contentType.type === 'message') {
      // The header of the encapsulated message, as one string without the blank line.
      const h = decodeUnknown(msg.raw.subarray(p.message.headerStart, p.message.headerEnd));
      out.push(h.replace(/(?<=\n)\r?\n$/, ''));
      continue;
    }
    out.push(bodyText(msg.raw, p));
  }
  return out;
}

export const bodyExtension: Extension = {
  capabilities: ['body'],
  commands: [
    {
      name: 'body',
      kind: 'test',
      tags: [
        ...MATCH_TAGS,
        { name: 'raw', group: 'transform' },
        { name: 'content', group: 'transform', param: 'strings' },
        { name: 'text', group: 'transform' },
      ],
      positional: ['strings'],
      evaluate(rt, node) {
        const transform =
          node.tags['raw'] !== undefined ? 'raw' : node.tags['content'] !== undefined ? 'content' : 'text';
        const values = bodyValues(rt, transform, rt.expand(node.tags['content']));
        rt.step(values.length);
        const keys = rt.expand(node.args[0]);
        // Match variables are not set by body (RFC 5173 §6).
        const spec = matchSpec(rt, node);
        return matchValues(rt, spec, values, keys, false);
      },
    },
  ],
};
