/** Match types (:is :contains :matches :regex :value :count) over comparators. */
import { getComparator, relationHolds, type Comparator } from '../comparators.js';
import { compileGlob, globExec, posixRegex, regexFold, type PosixRegex } from '../regex/index.js';
import type { Program } from '../regex/program.js';
import type { CNode, CValue } from '../types.js';
import type { Runtime } from './runtime.js';

export type MatchType = 'is' | 'contains' | 'matches' | 'regex' | 'value' | 'count';

export interface MatchSpec {
  readonly type: MatchType;
  readonly relation: string;
  readonly comparator: Comparator;
}

const MATCH_TAGS: readonly MatchType[] = ['is', 'contains', 'matches', 'regex', 'value', 'count'];

/**
 * Specs of nodes whose relation and comparator are literal, per default comparator: the same
 * for every message, so read once.
 */
const literalSpecs = new Map<string, WeakMap<CNode, MatchSpec>>();

function isLiteral(v: CValue | undefined): boolean {
  return v === undefined || typeof v === 'number' || v === true || v.every((s) => typeof s === 'string');
}

/** Read the match type and comparator from a node's tags (expanding :value/:count relations). */
export function matchSpec(rt: Runtime, node: CNode, defaultComparator = 'i;ascii-casemap'): MatchSpec {
  let specs = literalSpecs.get(defaultComparator);
  const cached = specs?.get(node);
  if (cached) return cached;
  const spec = readMatchSpec(rt, node, defaultComparator);
  const t = node.tags;
  if (isLiteral(t['value']) && isLiteral(t['count']) && isLiteral(t['comparator'])) {
    if (!specs) literalSpecs.set(defaultComparator, (specs = new WeakMap()));
    specs.set(node, spec);
  }
  return spec;
}

function readMatchSpec(rt: Runtime, node: CNode, defaultComparator: string): MatchSpec {
  let type: MatchType = 'is';
  let relation = '';
  for (const t of MATCH_TAGS) {
    const v = node.tags[t];
    if (v === undefined) continue;
    type = t;
    if (t === 'value' || t === 'count') relation = rt.expandOne(v).toLowerCase();
  }
  const cname =
    node.tags['comparator'] !== undefined ? rt.expandOne(node.tags['comparator']) : defaultComparator;
  const comparator = getComparator(cname) ?? getComparator('i;ascii-casemap')!;
  return { type, relation, comparator };
}

const IN_PLACE_MIN = 256;
const ASCII_ONLY = /^[\x00-\x7f]*$/;
const searchCache = new Map<string, RegExp | undefined>();

/**
 * For an ASCII key, a case-insensitive RegExp of the literal key tests exactly what
 * i;ascii-casemap :contains does: without the u flag, case-insensitive matching never maps a
 * non-ASCII character to an ASCII one, so only A-Z/a-z pair up. Undefined for other keys.
 */
function asciiSearch(key: string): RegExp | undefined {
  if (searchCache.has(key)) return searchCache.get(key);
  const re = ASCII_ONLY.test(key) ? new RegExp(key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), 'i') : undefined;
  if (searchCache.size > 1000) searchCache.clear();
  searchCache.set(key, re);
  return re;
}

const globCache = new Map<string, Program>();

function globProgram(key: string): Program {
  let p = globCache.get(key);
  if (!p) {
    p = compileGlob(key);
    if (globCache.size > 1000) globCache.clear();
    globCache.set(key, p);
  }
  return p;
}

/** Captures of a glob match, or null (linear time: the Pike VM, see regex/glob.ts). */
function globMatch(value: string, key: string, cmp: Comparator, onWork: () => void): string[] | null {
  const fv = cmp.fold(value);
  const fk = cmp.name === 'i;octet' ? key : cmp.fold(key);
  return globExec(globProgram(fk), fv, value, onWork);
}

/**
 * Evaluate a match. Successful :matches/:regex matches set the match variables
 * (RFC 5229 §3.2); failed ones leave them alone.
 */
export function matchValues(
  rt: Runtime,
  spec: MatchSpec,
  values: readonly string[],
  keys: readonly string[],
  /** False for tests that must leave the match variables alone (body, RFC 5173 §6). */
  setVariables = true,
): boolean {
  const cmp = spec.comparator;
  switch (spec.type) {
    case 'count': {
      const count = String(values.length);
      return keys.some((k) => {
        rt.step();
        return relationHolds(spec.relation, cmp.compare(count, k));
      });
    }
    case 'value':
      for (const v of values)
        for (const k of keys) {
          rt.step();
          if (relationHolds(spec.relation, cmp.compare(v, k))) return true;
        }
      return false;
    case 'is': {
      if (!cmp.equalsByFold) {
        for (const v of values)
          for (const k of keys) {
            rt.step();
            if (cmp.equals(v, k)) return true;
          }
        return false;
      }
      // Equality of the folded forms: fold each key once, not once per value.
      const fks = keys.map((k) => cmp.fold(k));
      for (const v of values) {
        const fv = cmp.fold(v);
        for (const fk of fks) {
          rt.step();
          if (fv === fk) return true;
        }
      }
      return false;
    }
    case 'contains': {
      const fks = keys.map((k) => cmp.fold(k));
      const res = cmp.name === 'i;ascii-casemap' ? keys.map(asciiSearch) : undefined;
      for (const v of values) {
        // A long value (a body) is searched in place rather than folded into a copy first.
        const inPlace = res !== undefined && v.length > IN_PLACE_MIN;
        let fv: string | undefined;
        for (let j = 0; j < fks.length; j++) {
          rt.step();
          const re = inPlace ? res[j] : undefined;
          if (re ? re.test(v) : (fv ??= cmp.fold(v)).includes(fks[j]!)) return true;
        }
      }
      return false;
    }
    case 'matches':
      for (const v of values)
        for (const k of keys) {
          rt.step();
          const caps = globMatch(v, k, cmp, () => rt.step());
          if (caps) {
            if (setVariables) rt.setMatchVariables(caps);
            return true;
          }
        }
      return false;
    case 'regex': {
      // A key built at run time may not be a valid regex: Pigeonhole logs it and treats the
      // key as not matching; the script goes on.
      const fold = regexFold(cmp.name);
      const res: PosixRegex[] = [];
      for (const k of keys) {
        const re = posixRegex(k, fold);
        if (re) res.push(re);
        else rt.warn(`invalid regular expression '${k}' for regex match`);
      }
      // Long matches count against the step and time limits as they go, so a big text can't
      // hold the engine past them (each 4096 VM steps is one interpreter step).
      const onWork = (): void => rt.step();
      // Without the variables extension nobody reads the groups: skip recording them.
      const captures = setVariables && rt.has('variables');
      for (const v of values)
        for (const re of res) {
          rt.step();
          if (!captures) {
            if (re.test(v, onWork)) return true;
            continue;
          }
          const m = re.exec(v, onWork);
          if (m) {
            rt.setMatchVariables(m);
            return true;
          }
        }
      return false;
    }
  }
}
