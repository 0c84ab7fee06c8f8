/** variables (RFC 5229): set with modifiers, the string test, match variables. */
import type { Extension } from '../extension.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { MATCH_TAGS } from './tags.js';

// Modifier precedence (RFC 5229 §4.1, RFC 5435 §4.5 for :encodeurl).
const MODIFIERS: Record<string, number> = {
  lower: 40,
  upper: 40,
  lowerfirst: 30,
  upperfirst: 30,
  quotewildcard: 20,
  quoteregex: 20,
  encodeurl: 15,
  length: 10,
};

function encodeUrl(s: string): string {
  // RFC 3986 unreserved characters stay; everything else is percent-encoded as UTF-8.
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');
}

function applyModifier(m: string, v: string): string {
  switch (m) {
    case 'lower':
      return v.toLowerCase();
    case 'upper':
      return v.toUpperCase();
    case 'lowerfirst':
      return v.charAt(0).toLowerCase() + v.slice(1);
    case 'upperfirst':
      return v.charAt(0).toUpperCase() + v.slice(1);
    case 'quotewildcard':
      return v.replace(/[*?\\]/g, '\\$&');
    case 'quoteregex':
      return v.replace(/[*?\\.+^$|()[\]{}]/g, '\\$&');
    case 'encodeurl':
      return encodeUrl(v);
    case 'length':
      return String([...v].length);
    default:
      return v;
  }
}

export const variablesExtension: Extension = {
  capabilities: ['variables'],
  commands: [
    {
      name: 'set',
      kind: 'command',
      tags: [
        { name: 'lower', group: 'case' },
        { name: 'upper', group: 'case' },
        { name: 'lowerfirst', group: 'casefirst' },
        { name: 'upperfirst', group: 'casefirst' },
        { name: 'quotewildcard', group: 'quote' },
        { name: 'quoteregex', group: 'quote', requires: 'regex' },
        { name: 'encodeurl', requires: 'enotify' },
        { name: 'length' },
      ],
      positional: ['string', 'string'],
      validate(node, cc, pos) {
        const name = cc.literal(node.args[0]);
        if (name === undefined) {
          cc.error(pos, 'the set command requires a literal variable name');
          return;
        }
        if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name)) {
          cc.error(pos, `invalid variable name '${name}'`);
          return;
        }
        const err = (
          cc as unknown as { checkVariableName(n: string, a: boolean): string | undefined }
        ).checkVariableName(name.toLowerCase(), true);
        if (err) cc.error(pos, err);
        const mods = Object.keys(node.tags).filter((t) => MODIFIERS[t] !== undefined);
        return mods.sort((a, b) => MODIFIERS[b]! - MODIFIERS[a]!);
      },
      evaluate(rt, node) {
        const name = rt.expandOne(node.args[0]);
        let value = rt.expandOne(node.args[1]);
        const max = rt.limits.maxVariableSize;
        for (const m of (node.data as string[] | undefined) ?? []) {
          if (
            (m === 'quotewildcard' || m === 'quoteregex' || m === 'encodeurl') &&
            Buffer.byteLength(value) > max / 4
          ) {
            // Escape per character so truncation at the size limit never splits an escape.
            let out = '';
            let size = 0;
            for (const ch of value) {
              const piece = applyModifier(m, ch);
              const n = Buffer.byteLength(piece);
              if (size + n > max) break;
              out += piece;
              size += n;
            }
            value = out;
          } else value = applyModifier(m, value);
        }
        rt.setVariable(name, value);
        return true;
      },
    },
    {
      name: 'string',
      kind: 'test',
      tags: [...MATCH_TAGS],
      positional: ['strings', 'strings'],
      evaluate(rt, node) {
        const spec = matchSpec(rt, node);
        let values = rt.expand(node.args[0]);
        // :count counts only non-empty strings (RFC 5229 §5).
        if (spec.type === 'count') values = values.filter((v) => v !== '');
        return matchValues(rt, spec, values, rt.expand(node.args[1]));
      },
    },
  ],
};
