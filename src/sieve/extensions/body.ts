/** body test (RFC 5173): :raw, :content <types>, :text transforms. */
import type { Extension } from '../extension.js';
import { bodyText, decodeUnknown, rawBody, type MimePart } from '../../mime/index.js';
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
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export function bodyValues(
  rt: Runtime,
  transform: 'raw' | 'text' | 'content',
  types: readonly string[],
): string[] {
  const msg = rt.message;
  const root = msg.root;
  if (transform === 'raw') return [decodeUnknown(rawBody(msg.raw, root))];
  if (transform === 'text') {
    return leaves(root)
      .filter((p) => p.contentType.type === 'text')
      .map((p) =>
        p.contentType.subtype === 'html' ? htmlToText(bodyText(msg.raw, p)) : bodyText(msg.raw, p),
      );
  }
  const out: string[] = [];
  for (const p of allParts(root)) {
    if (!typeMatches(p, types)) continue;
    if (p.contentType.type === 'multipart') {
      // For multipart types the preamble/epilogue would be matched; we match nothing.
      continue;
    }
    if (p.message && p.contentType.type === 'message') {
      out.push(decodeUnknown(msg.raw.subarray(p.message.headerStart, p.message.headerEnd)));
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
      // eslint-disable-next-line require-yield
      *run(rt, node) {
        const transform =
          node.tags['raw'] !== undefined ? 'raw' : node.tags['content'] !== undefined ? 'content' : 'text';
        const values = bodyValues(rt, transform, rt.expand(node.tags['content']));
        rt.step(values.length);
        const keys = rt.expand(node.args[0]);
        // Match variables are not set by body (RFC 5173 §6).
        const spec = matchSpec(rt, node);
        return matchValues(rt, spec, values, keys);
      },
    },
  ],
};
