/** include (RFC 6609): include, return, global. The host loads scripts; we run them here. */
import type { Position } from '../ast.js';
import type { Extension } from '../extension.js';
import type { IncludeAnswer } from '../types.js';
import { ReturnSignal, type Runtime } from '../runtime/runtime.js';

interface IncludeState {
  once: Set<string>;
  active: string[];
  count: number;
}

function state(rt: Runtime): IncludeState {
  let s = rt.state.get('include') as IncludeState | undefined;
  if (!s) {
    s = { once: new Set(), active: [], count: 0 };
    rt.state.set('include', s);
  }
  return s;
}

/** An include found while validating, compiled after validation (Pigeonhole's generator). */
export interface PendingInclude {
  readonly pos: Position;
  readonly location: 'personal' | 'global';
  readonly name: string;
  readonly once: boolean;
  readonly source: string;
}

export function validScriptName(n: string): boolean {
  return n.length > 0 && n.length <= 256 && !/[\x00-\x1f\x7f/\u0080-\u009f\u2028\u2029]/.test(n);
}

export const includeExtension: Extension = {
  capabilities: ['include'],
  namespaces: ['global'],
  commands: [
    {
      name: 'include',
      kind: 'command',
      tags: [
        { name: 'personal', group: 'location' },
        { name: 'global', group: 'location' },
        { name: 'once' },
        { name: 'optional' },
      ],
      positional: ['string'],
      validate(node, cc, pos) {
        const n = cc.literal(node.args[0]);
        if (n === undefined) return cc.error(pos, 'include: script name must be a constant string');
        if (!validScriptName(n)) return cc.error(pos, `include: invalid script name '${n}'`);
        const loader = cc.options.includeLoader;
        if (!loader) return undefined;
        // Compile-time resolution (Pigeonhole): the script must exist now; it is compiled once
        // this script validated (see `resolveIncludes` in the compiler).
        const location = node.tags['global'] !== undefined ? 'global' : 'personal';
        const optional = node.tags['optional'] !== undefined;
        const source = loader(location, n);
        if (source === null) {
          if (optional) return undefined;
          if (cc.options.uploaded)
            cc.warning(pos, `included ${location} script '${n}' does not exist (ignored during upload)`);
          else cc.error(pos, `included ${location} script '${n}' does not exist`);
          return undefined;
        }
        const list = (cc.state.get('includes') as PendingInclude[] | undefined) ?? [];
        cc.state.set('includes', list);
        list.push({ pos, location, name: n, once: node.tags['once'] !== undefined, source });
        return undefined;
      },
      *run(rt, node) {
        const name = rt.expandOne(node.args[0]);
        const location = node.tags['global'] !== undefined ? 'global' : 'personal';
        const key = `${location}:${name}`;
        const s = state(rt);
        if (node.tags['once'] !== undefined && s.once.has(key)) return true;
        if (s.active.includes(key)) rt.fail(`include: circular include of script '${name}'`);
        if (s.active.length >= rt.limits.maxIncludeDepth) rt.fail('include: nesting depth exceeds limit');
        if (++s.count > rt.limits.maxIncludes) rt.fail('include: too many included scripts');
        const answer = (yield {
          type: 'include',
          location,
          name,
          optional: node.tags['optional'] !== undefined,
        }) as IncludeAnswer | undefined;
        if (!answer || !answer.ok) {
          if (answer && answer.missing && node.tags['optional'] !== undefined) return true;
          return rt.fail(
            answer && !answer.missing
              ? `include: failed to compile included script '${name}': ${answer.error ?? ''}`
              : `include: included ${location} script '${name}' does not exist`,
          );
        }
        s.once.add(key);
        s.active.push(key);
        try {
          yield* rt.execScript(answer.script);
        } finally {
          s.active.pop();
        }
        return true;
      },
    },
    {
      name: 'return',
      kind: 'command',
      evaluate() {
        throw new ReturnSignal();
      },
    },
    {
      name: 'global',
      kind: 'command',
      positional: ['strings'],
      validate(node, cc, pos) {
        if (!cc.has('variables')) cc.error(pos, 'the global command requires the variables extension');
        const names = node.args[0];
        const locals = cc.state.get('declaredVariables') as Set<string> | undefined;
        const globals = (cc.state.get('globalVariables') as Set<string> | undefined) ?? new Set<string>();
        cc.state.set('globalVariables', globals);
        if (Array.isArray(names))
          for (const n of names) {
            if (typeof n !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) {
              cc.error(pos, `invalid variable name '${String(n)}' for global`);
              continue;
            }
            const l = n.toLowerCase();
            if (locals?.has(l) && !globals.has(l)) {
              cc.error(pos, `declaration of global variable '${n}' clashes with local variable of same name`);
              continue;
            }
            globals.add(l);
          }
      },
      evaluate(rt, node) {
        for (const n of rt.expand(node.args[0])) rt.declareGlobal(n);
        return true;
      },
    },
  ],
};
