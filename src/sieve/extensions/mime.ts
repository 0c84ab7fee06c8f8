/**
 * mime, foreverypart and extracttext (RFC 5703). The :mime family of tags is declared on
 * header/address/exists (see core.ts) and resolved by runtime/sources.ts.
 */
import type { Extension } from '../extension.js';
import type { CNode, SieveEvent } from '../types.js';
import type { Runtime } from '../runtime/runtime.js';
import { bodyText, type MimePart } from '../../mime/index.js';
import { htmlToText } from './body.js';
import { BreakSignal } from '../runtime/runtime.js';
import { FOREVERYPART_STATE, currentPart } from '../runtime/sources.js';

/** Pigeonhole's SIEVE_MAX_LOOP_DEPTH. */
const MAX_LOOP_DEPTH = 4;
const LOOP_DEPTH_STATE = 'foreverypart-depth';

function descendants(p: MimePart): MimePart[] {
  const out: MimePart[] = [];
  for (const c of p.children) out.push(c, ...descendants(c));
  if (p.message) out.push(p.message, ...descendants(p.message));
  return out;
}

/** One foreverypart loop over the current part's descendants (or the whole message). */
function* loop(rt: Runtime, node: CNode, name: string | undefined): Generator<SieveEvent, boolean, unknown> {
  // The outermost loop visits the message itself first; nested loops visit the
  // current part's descendants.
  const cur = currentPart(rt);
  const parts = cur ? descendants(cur) : [rt.message.root, ...descendants(rt.message.root)];
  let stack = rt.state.get(FOREVERYPART_STATE) as MimePart[] | undefined;
  if (!stack) {
    stack = [];
    rt.state.set(FOREVERYPART_STATE, stack);
  }
  for (const part of parts) {
    stack.push(part);
    try {
      yield* rt.execBlock(node.block ?? []);
    } catch (e) {
      if (e instanceof BreakSignal && (e.name === undefined || e.name === name)) return true;
      throw e;
    } finally {
      stack.pop();
    }
  }
  return true;
}

export const mimeExtension: Extension = { capabilities: ['mime'] };

export const foreverypartExtension: Extension = {
  capabilities: ['foreverypart'],
  commands: [
    {
      name: 'foreverypart',
      kind: 'command',
      tags: [{ name: 'name', param: 'string' }],
      block: 'required',
      validate(_node, cc, pos) {
        if (((cc.state.get('loopDepth') as number) ?? 0) >= MAX_LOOP_DEPTH)
          cc.error(
            pos,
            `the nested foreverypart loop exceeds the nesting limit (max ${MAX_LOOP_DEPTH} levels)`,
          );
      },
      *run(rt, node) {
        const name = node.tags['name'] !== undefined ? rt.expandOne(node.tags['name']) : undefined;
        // Included scripts can nest loops further than the compiler could see.
        const depth = (rt.state.get(LOOP_DEPTH_STATE) as number | undefined) ?? 0;
        if (depth >= MAX_LOOP_DEPTH)
          rt.fail(`the nested foreverypart loop exceeds the nesting limit (max ${MAX_LOOP_DEPTH} levels)`);
        rt.state.set(LOOP_DEPTH_STATE, depth + 1);
        try {
          return yield* loop(rt, node, name);
        } finally {
          rt.state.set(LOOP_DEPTH_STATE, depth);
        }
      },
    },
    {
      name: 'break',
      kind: 'command',
      tags: [{ name: 'name', param: 'string' }],
      validate(_node, cc, pos) {
        if (!((cc.state.get('loopDepth') as number) > 0))
          cc.error(pos, 'the break command is not placed inside a foreverypart loop');
        else {
          const name = cc.literal(_node.tags['name']);
          const names = (cc.state.get('loopNames') as (string | undefined)[] | undefined) ?? [];
          if (name !== undefined && !names.includes(name))
            cc.error(pos, `the break command is not placed inside a foreverypart loop named '${name}'`);
        }
      },
      evaluate(rt, node) {
        throw new BreakSignal(node.tags['name'] !== undefined ? rt.expandOne(node.tags['name']) : undefined);
      },
    },
  ],
};

export const extracttextExtension: Extension = {
  capabilities: ['extracttext'],
  checkRequired: (cc) =>
    cc.has('foreverypart')
      ? undefined
      : 'the extracttext extension cannot be used without the foreverypart extension',
  commands: [
    {
      name: 'extracttext',
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
        { name: 'first', param: 'number' },
      ],
      positional: ['string'],
      validate(node, cc, pos) {
        if (!cc.has('variables')) cc.error(pos, 'extracttext command requires the variables extension');
        if (!cc.has('foreverypart')) cc.error(pos, 'extracttext command requires the foreverypart extension');
        else if (!((cc.state.get('loopDepth') as number) > 0))
          cc.error(pos, 'the extracttext command is not placed inside a foreverypart loop');
        const name = cc.literal(node.args[0]);
        if (name === undefined) cc.error(pos, 'the extracttext command requires a literal variable name');
        else if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(name))
          cc.error(pos, `invalid variable name '${name}'`);
      },
      evaluate(rt, node) {
        const part = currentPart(rt);
        let text = '';
        if (part && part.contentType.type === 'text' && part.children.length === 0) {
          text = bodyText(rt.message.raw, part);
          if (part.contentType.subtype === 'html') text = htmlToText(text);
        }
        const first = node.tags['first'];
        if (typeof first === 'number') text = [...text].slice(0, first).join('');
        for (const m of ['lower', 'upper', 'lowerfirst', 'upperfirst', 'quotewildcard', 'length']) {
          if (node.tags[m] === undefined) continue;
          if (m === 'lower') text = text.toLowerCase();
          else if (m === 'upper') text = text.toUpperCase();
          else if (m === 'lowerfirst') text = text.charAt(0).toLowerCase() + text.slice(1);
          else if (m === 'upperfirst') text = text.charAt(0).toUpperCase() + text.slice(1);
          else if (m === 'quotewildcard') text = text.replace(/[*?\\]/g, '\\$&');
          else if (m === 'length') text = String([...text].length);
        }
        rt.setVariable(rt.expandOne(node.args[0]), text);
        return true;
      },
    },
  ],
};
