/** editheader (RFC 5293): addheader and deleteheader. */
import type { Extension } from '../extension.js';
import { decodeEncodedWords, encodeHeaderValue } from '../../mime/index.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import type { Runtime } from '../runtime/runtime.js';
import { COMPARATOR_TAG, MATCH_TYPE_TAGS } from './tags.js';

const DEFAULT_PROTECTED = ['received', 'auto-submitted'];

export function validFieldName(n: string): boolean {
  return /^[!-9;-~]+$/.test(n);
}

function validValue(v: string): boolean {
  // Line breaks only as folding (followed by whitespace); no other control characters.
  return !/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(v);
}

/**
 * Pigeonhole's rules: Subject can never be protected; X-Sieve-Redirected-From (our loop
 * marker) can never be touched; Received and Auto-Submitted (or the host's `protectedHeaders`)
 * may be added but not deleted; the rest follows the configured forbid-add/forbid-delete lists.
 */
function isProtected(rt: Runtime, name: string, op: 'add' | 'delete'): boolean {
  const l = name.toLowerCase();
  if (l === 'x-sieve-redirected-from') return true;
  if (l === 'subject') return false;
  if (op === 'delete' && (rt.options.protectedHeaders ?? DEFAULT_PROTECTED).includes(l)) return true;
  const list = op === 'add' ? rt.options.forbidAddHeaders : rt.options.forbidDeleteHeaders;
  return list?.includes(l) ?? false;
}

/** Fold a header line at whitespace so no line exceeds ~78 characters. */
function fold(name: string, value: string): string {
  const words = value.split(' ');
  let line = `${name}:`;
  const lines: string[] = [];
  for (const w of words) {
    if (line.length + 1 + w.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${w}`;
    } else line += ` ${w}`;
  }
  lines.push(line);
  return lines.join('\r\n');
}

export const editheaderExtension: Extension = {
  capabilities: ['editheader'],
  commands: [
    {
      name: 'addheader',
      kind: 'command',
      tags: [{ name: 'last' }],
      positional: ['string', 'string'],
      validate(node, cc, pos) {
        const n = cc.literal(node.args[0]);
        if (n !== undefined && !validFieldName(n))
          cc.error(pos, `addheader command: specified field name '${n}' is invalid`);
        const v = cc.literal(node.args[1]);
        if (v !== undefined && !validValue(v))
          cc.error(pos, `addheader command: specified value '${v}' is invalid`);
        else if (v !== undefined && cc.options.maxHeaderSize !== undefined) {
          const size = Buffer.byteLength(v, 'utf8');
          if (size > cc.options.maxHeaderSize)
            cc.error(
              pos,
              `addheader command: specified header value is too large (${size} bytes > ${cc.options.maxHeaderSize})`,
            );
        }
      },
      evaluate(rt, node) {
        const name = rt.expandOne(node.args[0]);
        const value = rt.expandOne(node.args[1]).replace(/(\r?\n)+$/, '');
        if (!validFieldName(name)) rt.fail(`addheader action: specified field name '${name}' is invalid`);
        if (!validValue(value)) rt.fail(`addheader action: specified value '${value}' is invalid`);
        if (isProtected(rt, name, 'add')) {
          rt.warn(
            `addheader action: adding specified header field '${name}' is forbidden; modification denied`,
          );
          return true;
        }
        const max = rt.options.maxHeaderSize;
        if (max !== undefined && Buffer.byteLength(`${name}: ${value}`) > max)
          rt.fail(`addheader action: header field '${name}' exceeds size limit`);
        const encoded = encodeHeaderValue(value.replace(/\r?\n([ \t])/g, '$1').replace(/\r?\n/g, ' '));
        rt.message.addHeader(
          name,
          fold(name, encoded).slice(name.length + 2),
          node.tags['last'] !== undefined,
        );
        return true;
      },
    },
    {
      name: 'deleteheader',
      kind: 'command',
      tags: [{ name: 'index', param: 'number' }, { name: 'last' }, ...MATCH_TYPE_TAGS, COMPARATOR_TAG],
      positional: ['string', 'strings'],
      optionalArgs: 1,
      validate(node, cc, pos) {
        if (node.tags['last'] !== undefined && node.tags['index'] === undefined)
          cc.error(pos, 'deleteheader command: the :last tag cannot be specified without the :index tag');
        const n = cc.literal(node.args[0]);
        if (n !== undefined && !validFieldName(n))
          cc.error(pos, `deleteheader command: specified field name '${n}' is invalid`);
        // A match type without value patterns is accepted (Pigeonhole: it matches every field).
      },
      evaluate(rt, node) {
        const name = rt.expandOne(node.args[0]);
        if (!validFieldName(name)) rt.fail(`deleteheader action: specified field name '${name}' is invalid`);
        if (isProtected(rt, name, 'delete')) {
          rt.warn(
            `deleteheader action: deleting specified header field '${name}' is forbidden; modification denied`,
          );
          return true;
        }
        const idx = node.tags['index'];
        const last = node.tags['last'] !== undefined;
        const patterns = node.args.length > 1 ? rt.expand(node.args[1]) : undefined;
        const spec = patterns ? matchSpec(rt, node) : undefined;
        rt.message.deleteHeaders(name, (h, i, total) => {
          if (typeof idx === 'number' && (last ? total - idx + 1 : idx) !== i) return false;
          if (!patterns || !spec) return true;
          const v = decodeEncodedWords(h.value).replace(/[ \t]+$/, '');
          return matchValues(rt, spec, [v], patterns);
        });
        return true;
      },
    },
  ],
};
