/** imap4flags (RFC 5232): the internal flags variable, named flag variables and hasflag. */
import type { CommandDef, Extension } from '../extension.js';
import type { CNode } from '../types.js';
import type { Runtime } from '../runtime/runtime.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { normalizeFlags, removeFlags } from './flags-util.js';
import { MATCH_TAGS } from './tags.js';

function readFlags(rt: Runtime, name: string | undefined): string[] {
  return name === undefined ? rt.flags : normalizeFlags([rt.getVariable(name)]);
}

function writeFlags(rt: Runtime, name: string | undefined, flags: string[]): void {
  if (name === undefined) rt.flags = flags;
  else rt.setVariable(name, flags.join(' '));
}

function flagCommand(name: string, op: (cur: string[], given: string[]) => string[]): CommandDef {
  return {
    name,
    kind: 'command',
    positional: ['strings', 'strings'],
    optionalArgs: 1,
    validate(node, cc, pos) {
      if (node.args.length === 2) {
        if (!cc.has('variables'))
          cc.error(pos, `the ${name} command requires the variables extension for a variable name`);
        const n = node.args[0];
        if (Array.isArray(n))
          for (const v of n)
            if (typeof v === 'string' && !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(v))
              cc.error(pos, `invalid variable name '${v}'`);
      }
    },
    evaluate(rt, node: CNode) {
      const varName = node.args.length === 2 ? rt.expandOne(node.args[0]) : undefined;
      const given = rt.expand(node.args[node.args.length - 1]);
      writeFlags(rt, varName, op(readFlags(rt, varName), given));
      return true;
    },
  };
}

export const imap4flagsExtension: Extension = {
  capabilities: ['imap4flags'],
  commands: [
    flagCommand('setflag', (_cur, given) => normalizeFlags(given)),
    flagCommand('addflag', (cur, given) => normalizeFlags([...cur, ...given])),
    flagCommand('removeflag', (cur, given) => removeFlags(cur, given)),
    {
      name: 'hasflag',
      kind: 'test',
      tags: [...MATCH_TAGS],
      positional: ['strings', 'strings'],
      optionalArgs: 1,
      evaluate(rt, node) {
        const keys = rt.expand(node.args[node.args.length - 1]);
        const names = node.args.length === 2 ? rt.expand(node.args[0]) : [undefined];
        const values: string[] = [];
        for (const n of names) values.push(...readFlags(rt, n));
        const spec = matchSpec(rt, node);
        if (spec.type === 'count' || spec.type === 'value') return matchValues(rt, spec, values, keys);
        // Keys may hold several space-separated flags each (RFC 5232 §4).
        const splitKeys = keys.flatMap((k) => k.split(/[ \t]+/).filter(Boolean));
        return matchValues(rt, spec, values, splitKeys);
      },
    },
  ],
};
