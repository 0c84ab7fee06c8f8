/** envelope test (RFC 5228 §5.4). */
import type { Extension } from '../extension.js';
import { parseSmtpPath } from '../../mime/index.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { addressPart, addressPartOf, type SieveAddress } from '../runtime/sources.js';
import { ADDRESS_PART_TAGS, MATCH_TAGS } from './tags.js';

const PARTS = ['from', 'to', 'auth', 'orig_to'];

/** An envelope path: null for the null path, 'invalid' when it is not a path. */
function envAddress(s: string): SieveAddress | null | 'invalid' {
  return parseSmtpPath(s);
}

export const envelopeExtension: Extension = {
  capabilities: ['envelope'],
  commands: [
    {
      name: 'envelope',
      kind: 'test',
      tags: [...MATCH_TAGS, ...ADDRESS_PART_TAGS],
      positional: ['strings', 'strings'],
      validate(node, cc, pos) {
        const names = Array.isArray(node.args[0]) ? (node.args[0] as unknown[]) : [];
        for (const n of names)
          if (typeof n === 'string' && !PARTS.includes(n.toLowerCase()))
            cc.error(pos, `specified envelope part '${n}' is not supported by the envelope test`);
      },
      evaluate(rt, node) {
        const parts = rt.expand(node.args[0]).map((p) => p.toLowerCase());
        const keys = rt.expand(node.args[1]);
        const spec = matchSpec(rt, node);
        const part = addressPartOf(node);
        const values: string[] = [];
        for (const p of parts) {
          const e = rt.envelope;
          const raw =
            p === 'from'
              ? e.from
              : p === 'to'
                ? e.to
                : p === 'orig_to'
                  ? (e.origTo ?? e.to)
                  : p === 'auth'
                    ? e.auth
                    : undefined;
          if (raw === undefined) continue;
          const a = envAddress(raw);
          if (a === 'invalid') continue;
          if (!a) {
            // The null reverse-path matches as the empty string, whatever the address part
            // (RFC 5228 §5.4).
            if (p === 'from') values.push('');
            continue;
          }
          const v = addressPart(rt, a, part);
          if (v !== null) values.push(v);
        }
        if (spec.type !== 'count' && values.length === 0) return false;
        return matchValues(rt, spec, values, keys);
      },
    },
  ],
};
