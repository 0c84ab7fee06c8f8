/** RFC 5228 core: control commands, keep/discard/redirect, and the base tests. */
import type { CommandDef, Extension } from '../extension.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CNode } from '../types.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { StopSignal } from '../runtime/runtime.js';
import {
  addressPart,
  addressPartOf,
  applyIndex,
  headerAddresses,
  headerSources,
  mimeOptionValues,
} from '../runtime/sources.js';
import { normalizeFlags } from './flags-util.js';
import { ADDRESS_PART_TAGS, INDEX_TAGS, MATCH_TAGS, MIME_OPTION_TAGS, MIME_TAGS } from './tags.js';

const ifCmd: CommandDef = {
  name: 'if',
  kind: 'command',
  *run(rt, node) {
    for (const b of node.branches ?? []) {
      if (rt.isSync(b.test) ? rt.evalSync(b.test) : yield* rt.test(b.test)) {
        yield* rt.execBlock(b.block);
        return true;
      }
    }
    if (node.elseBlock) yield* rt.execBlock(node.elseBlock);
    return true;
  },
  // Used when the tests and blocks never ask the host (Runtime.isSync).
  evaluate(rt, node) {
    for (const b of node.branches ?? []) {
      if (rt.evalSync(b.test)) {
        rt.execSync(b.block);
        return true;
      }
    }
    if (node.elseBlock) rt.execSync(node.elseBlock);
    return true;
  },
};

const stop: CommandDef = {
  name: 'stop',
  kind: 'command',
  evaluate() {
    throw new StopSignal();
  },
};

/** Flags for a delivery: :flags if given, else the internal variable (imap4flags). */
export function deliveryFlags(rt: Runtime, node: CNode): string[] | undefined {
  if (node.tags['flags'] !== undefined) return normalizeFlags(rt.expand(node.tags['flags']));
  return rt.has('imap4flags') ? [...rt.flags] : undefined;
}

const keep: CommandDef = {
  name: 'keep',
  kind: 'command',
  tags: [{ name: 'flags', param: 'strings', requires: 'imap4flags' }],
  evaluate(rt, node) {
    rt.addAction({ type: 'keep', ...rt.copyState(deliveryFlags(rt, node)) });
    return true;
  },
};

const discard: CommandDef = {
  name: 'discard',
  kind: 'command',
  evaluate(rt) {
    rt.addAction({ type: 'discard' });
    return true;
  },
};

const redirect: CommandDef = {
  name: 'redirect',
  kind: 'command',
  tags: [{ name: 'copy', requires: 'copy' }],
  positional: ['string'],
  validate(node, cc, pos) {
    const lit = cc.literal(node.args[0]);
    if (lit !== undefined && !parseRedirectAddress(lit))
      cc.error(pos, `specified redirect address '${lit}' is invalid`);
  },
  evaluate(rt, node) {
    const raw = rt.expandOne(node.args[0]);
    const address = parseRedirectAddress(raw);
    if (!address) return rt.fail(`specified redirect address '${raw}' is invalid`);
    rt.addAction({
      type: 'redirect',
      address,
      copy: node.tags['copy'] !== undefined,
      ...rt.copyState(undefined),
    });
    return true;
  },
};

const ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~";
const LOCAL = new RegExp(`^(?:[${ATEXT}.]+|"(?:[^"\\\\]|\\\\.)*")$`);
const DOMAIN = new RegExp(`^(?:[${ATEXT}]+(?:\\.[${ATEXT}]+)*|\\[[^\\[\\]\\\\]*\\])$`);
const PHRASE = new RegExp(`^(?:[${ATEXT} \\t.]|"(?:[^"\\\\]|\\\\.)*")*$`);

/**
 * A redirect target as Pigeonhole accepts it: one RFC 5322 mailbox (`addr-spec` or
 * `name <addr-spec>`), ASCII only, with the obsolete local-part forms (leading, trailing or
 * repeated dots) tolerated. Returns the bare address, or null.
 */
export function parseRedirectAddress(s: string): string | null {
  if (/[^\x20-\x7e\t]/.test(s)) return null;
  let spec = s.trim();
  const angle = /^([^<>]*)<([^<>]*)>$/.exec(spec);
  if (angle) {
    if (!PHRASE.test(angle[1]!.trim())) return null;
    spec = angle[2]!.trim();
  }
  const at = spec.lastIndexOf('@');
  if (at <= 0) return null;
  const local = spec.slice(0, at).trim();
  const domain = spec.slice(at + 1).trim();
  if (!LOCAL.test(local) || !DOMAIN.test(domain)) return null;
  return `${local}@${domain}`;
}

const trueTest: CommandDef = {
  name: 'true',
  kind: 'test',
  evaluate() {
    return true;
  },
};

const falseTest: CommandDef = {
  name: 'false',
  kind: 'test',
  evaluate() {
    return false;
  },
};

const notTest: CommandDef = {
  name: 'not',
  kind: 'test',
  tests: 'one',
  *run(rt, node) {
    return !(yield* rt.test(node.tests![0]!));
  },
  evaluate(rt, node) {
    return !rt.evalSync(node.tests![0]!);
  },
};

const anyof: CommandDef = {
  name: 'anyof',
  kind: 'test',
  tests: 'list',
  *run(rt, node) {
    for (const t of node.tests ?? []) if (yield* rt.test(t)) return true;
    return false;
  },
  evaluate(rt, node) {
    for (const t of node.tests ?? []) if (rt.evalSync(t)) return true;
    return false;
  },
};

const allof: CommandDef = {
  name: 'allof',
  kind: 'test',
  tests: 'list',
  *run(rt, node) {
    for (const t of node.tests ?? []) if (!(yield* rt.test(t))) return false;
    return true;
  },
  evaluate(rt, node) {
    for (const t of node.tests ?? []) if (!rt.evalSync(t)) return false;
    return true;
  },
};

const exists: CommandDef = {
  name: 'exists',
  kind: 'test',
  tags: [...MIME_TAGS],
  positional: ['strings'],
  validate(node, cc, pos) {
    if (node.tags['anychild'] !== undefined && node.tags['mime'] === undefined)
      cc.error(pos, 'the :anychild tag for the exists test requires the :mime tag');
  },
  evaluate(rt, node) {
    const names = rt.expand(node.args[0]);
    const sources = headerSources(rt, node);
    return names.every((n) => sources.some((s) => s.rawValues(n).length > 0));
  },
};

const header: CommandDef = {
  name: 'header',
  kind: 'test',
  tags: [...MATCH_TAGS, ...INDEX_TAGS, ...MIME_TAGS, ...MIME_OPTION_TAGS],
  positional: ['strings', 'strings'],
  validate(node, cc, pos) {
    if (node.tags['last'] !== undefined && node.tags['index'] === undefined)
      cc.error(pos, 'the :last tag for the header test cannot be specified without the :index tag');
    for (const t of ['anychild', 'type', 'subtype', 'contenttype', 'param'])
      if (node.tags[t] !== undefined && node.tags['mime'] === undefined)
        cc.error(pos, `the :${t} tag for the header test requires the :mime tag`);
  },
  evaluate(rt, node) {
    const names = rt.expand(node.args[0]);
    const keys = rt.expand(node.args[1]);
    const spec = matchSpec(rt, node);
    const values: string[] = [];
    for (const src of headerSources(rt, node))
      for (const n of names) values.push(...mimeOptionValues(rt, node, n, applyIndex(node, src.values(n))));
    if (spec.type !== 'count' && values.length === 0) return false;
    return matchValues(rt, spec, values, keys);
  },
};

/**
 * Headers the address test accepts (Pigeonhole's list: RFC 5228 asks implementations to restrict
 * the test to headers that hold addresses).
 */
const ADDRESS_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'sender',
  'resent-from',
  'resent-to',
  'reply-to',
  'resent-reply-to',
  'resent-sender',
  'resent-cc',
  'resent-bcc',
  'for-approval',
  'for-handling',
  'for-comment',
  'apparently-to',
  'errors-to',
  'delivered-to',
  'return-receipt-to',
  'x-admin',
  'read-receipt-to',
  'x-confirm-reading-to',
  'return-receipt-requested',
  'registered-mail-reply-requested-by',
  'mail-followup-to',
  'mail-reply-to',
  'abuse-reports-to',
  'x-complaints-to',
  'x-report-abuse-to',
  'x-beenthere',
  'x-original-from',
  'x-original-to',
]);

const address: CommandDef = {
  name: 'address',
  kind: 'test',
  tags: [...MATCH_TAGS, ...ADDRESS_PART_TAGS, ...INDEX_TAGS, ...MIME_TAGS],
  positional: ['strings', 'strings'],
  validate(node, cc, pos) {
    if (node.tags['last'] !== undefined && node.tags['index'] === undefined)
      cc.error(pos, 'the :last tag for the address test cannot be specified without the :index tag');
    if (node.tags['anychild'] !== undefined && node.tags['mime'] === undefined)
      cc.error(pos, 'the :anychild tag for the address test requires the :mime tag');
    const names =
      cc.literal(node.args[0]) !== undefined || Array.isArray(node.args[0])
        ? (node.args[0] as unknown[])
        : [];
    for (const n of names) {
      if (typeof n === 'string' && !/^[!-9;-~]+$/.test(n))
        cc.error(pos, `specified header field name '${n}' is invalid`);
      else if (typeof n === 'string' && !ADDRESS_HEADERS.has(n.toLowerCase()))
        cc.error(pos, `specified header '${n}' is not allowed for the address test`);
    }
  },
  evaluate(rt, node) {
    const names = rt.expand(node.args[0]);
    const keys = rt.expand(node.args[1]);
    const spec = matchSpec(rt, node);
    const part = addressPartOf(node);
    const values: string[] = [];
    for (const src of headerSources(rt, node))
      for (const n of names) {
        for (const a of headerAddresses(applyIndex(node, src.rawValues(n)), rt.message.valueCache)) {
          const v = addressPart(rt, a, part);
          if (v !== null) values.push(v);
        }
      }
    if (spec.type !== 'count' && values.length === 0) return false;
    return matchValues(rt, spec, values, keys);
  },
};

const size: CommandDef = {
  name: 'size',
  kind: 'test',
  tags: [
    { name: 'over', group: 'size' },
    { name: 'under', group: 'size' },
  ],
  positional: ['number'],
  validate(node, cc, pos) {
    if (node.tags['over'] === undefined && node.tags['under'] === undefined)
      cc.error(pos, 'the size test requires either the :under or the :over tag to be specified');
  },
  evaluate(rt, node) {
    const limit = node.args[0] as number;
    const s = rt.message.size;
    return node.tags['over'] !== undefined ? s > limit : s < limit;
  },
};

export const coreExtension: Extension = {
  capabilities: [],
  commands: [
    ifCmd,
    stop,
    keep,
    discard,
    redirect,
    trueTest,
    falseTest,
    notTest,
    anyof,
    allof,
    exists,
    header,
    address,
    size,
  ],
};

/** Capabilities that only name comparators or tags handled elsewhere. */
export const markerExtensions: Extension[] = [
  { capabilities: ['comparator-i;octet'] },
  { capabilities: ['comparator-i;ascii-casemap'] },
  { capabilities: ['comparator-i;ascii-numeric'] },
  { capabilities: ['comparator-i;unicode-casemap'] },
  { capabilities: ['regex'] },
  { capabilities: ['relational'] },
  { capabilities: ['subaddress'] },
  { capabilities: ['copy'] },
  { capabilities: ['index'] },
  { capabilities: ['encoded-character'] },
];
