/**
 * Compiler: syntax tree → validated, JSON-serialisable program. Checks capabilities
 * (`require`), argument shapes, tag groups, comparators, match types and each
 * extension's own rules, and reports every error it finds with line and column.
 */
import type { Argument, CommandNode, Position, TestNode } from './ast.js';
import { comparatorCapability, getComparator, RELATIONS } from './comparators.js';
import type { ArgKind, CommandDef, CompileCtx, Extension, TagDef } from './extension.js';
import { IHAVE_REFUSED } from './extensions/ihave.js';
import type { PendingInclude } from './extensions/include.js';
import { parseSource } from './parser.js';
import { posixRegex, regexFold } from './regex/index.js';
import { buildRegistry, type Registry } from './registry.js';
import { compileString } from './strings.js';
import {
  DEFAULT_LIMITS,
  type CNode,
  type CValue,
  type CompileErrorInfo,
  type CompileOptions,
  type CompileResult,
  type SieveLimits,
} from './types.js';

export const ENGINE_VERSION = 1;

const MATCH_GROUP = 'match-type';

/** Pigeonhole's names of positional arguments, for error messages. */
const ARG_NAMES: Readonly<Record<string, readonly string[]>> = {
  header: ['header names', 'key list'],
  address: ['header list', 'key list'],
  envelope: ['envelope part', 'key list'],
  exists: ['header names'],
  size: ['limit'],
  fileinto: ['folder'],
  redirect: ['address'],
  reject: ['reason'],
  ereject: ['reason'],
  vacation: ['reason'],
  set: ['name', 'value'],
  string: ['source', 'key list'],
  date: ['header name', 'date part', 'key list'],
  currentdate: ['date part', 'key list'],
  addheader: ['field name', 'value'],
  deleteheader: ['field name', 'value patterns'],
  notify: ['method'],
  ihave: ['capabilities'],
  environment: ['name', 'key list'],
  body: ['key list'],
  hasflag: ['key list'],
};

/** The control commands the compiler handles itself (if chains, require). */
const CONTROL: Readonly<Record<string, CommandDef>> = {
  require: { name: 'require', kind: 'command', positional: ['strings'], run: noRun },
  if: { name: 'if', kind: 'command', tests: 'one', block: 'required', run: noRun },
  elsif: { name: 'elsif', kind: 'command', tests: 'one', block: 'required', run: noRun },
  else: { name: 'else', kind: 'command', block: 'required', run: noRun },
};

// eslint-disable-next-line require-yield
function* noRun(): Generator<never, boolean, unknown> {
  return true;
}

class Compiler implements CompileCtx {
  readonly errors: CompileErrorInfo[] = [];
  readonly warnings: CompileErrorInfo[] = [];
  readonly requires = new Set<string>();
  readonly state = new Map<string, unknown>();
  readonly name: string;
  readonly limits: SieveLimits;

  constructor(
    readonly reg: Registry,
    readonly options: CompileOptions,
  ) {
    this.name = options.name ?? 'script';
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  has(capability: string): boolean {
    return this.requires.has(capability);
  }

  error(pos: Position, message: string): void {
    this.errors.push({ line: pos.line, column: pos.column, message });
  }

  warning(pos: Position, message: string): void {
    this.warnings.push({ line: pos.line, column: pos.column, message });
  }

  isLiteral(v: CValue): boolean {
    return Array.isArray(v) && v.every((s) => typeof s === 'string');
  }

  literal(v: CValue | undefined): string | undefined {
    if (!Array.isArray(v) || v.length !== 1 || typeof v[0] !== 'string') return undefined;
    return v[0];
  }

  available(cap: string): boolean {
    return (
      this.reg.capabilities.has(cap) &&
      (!this.options.capabilities || this.options.capabilities.includes(cap) || this.reg.hidden.has(cap))
    );
  }

  addRequire(cap: string): void {
    this.requires.add(cap);
    for (const i of this.reg.implies.get(cap) ?? []) this.requires.add(i);
  }

  // ---- strings -----------------------------------------------------------

  compileStrings(arg: Extract<Argument, { type: 'strings' }>): CValue {
    const vars = this.has('variables');
    const enc = this.has('encoded-character');
    return arg.values.map((lit) => {
      const errs: string[] = [];
      const s = compileString(
        lit.value,
        {
          encodedCharacter: enc,
          variables: vars,
          checkVariable: (name) => this.checkVariableName(name, false),
        },
        errs,
      );
      for (const e of errs) this.error(lit, e);
      return s;
    });
  }

  /** Validate a variable name used in a string or as a set/global target. */
  checkVariableName(name: string, assign: boolean): string | undefined {
    // Pigeonhole's limits: 64 characters per name element, 255 declared variables per script.
    if (name.split('.').some((el) => el.length > 64)) return `variable name '${name}' is too long`;
    const dot = name.indexOf('.');
    const globals = this.state.get('globalVariables') as Set<string> | undefined;
    if (dot < 0 && assign && !globals?.has(name)) {
      const declared = (this.state.get('declaredVariables') as Set<string> | undefined) ?? new Set<string>();
      this.state.set('declaredVariables', declared);
      if (!declared.has(name)) {
        if (declared.size >= 255) {
          // Reported once; later declarations fail silently.
          if (this.state.get('tooManyVariables')) return undefined;
          this.state.set('tooManyVariables', true);
          return 'the number of declared variables exceeds the limit of 255';
        }
        declared.add(name);
      }
    }
    if (dot < 0) return undefined;
    const ns = name.slice(0, dot);
    const rest = name.slice(dot + 1);
    if (ns === 'global') {
      if (!this.has('include')) return `variable namespace 'global' requires the include extension`;
      if (rest.includes('.')) return `invalid variable name '${name}'`;
      return undefined;
    }
    const ext = this.reg.namespaces.get(ns);
    if (!ext || !ext.capabilities.some((c) => this.has(c))) return `unknown variable namespace '${ns}'`;
    return ext.checkNamespaceVariable?.(ns, rest, assign);
  }

  // ---- commands ----------------------------------------------------------
  //
  // Validation follows Pigeonhole's validator so that a broken script yields the same errors:
  // per command, tags are resolved and checked first, then the positional count, the sub-tests
  // and the block, then the argument types and the command's own rules; the first problem ends
  // the command's validation (one error per command, mostly), but its sub-tests and block are
  // still validated. Unknown commands and tags are reported once, at their first occurrence.

  /** Command and test names already reported as unknown. */
  private readonly unknownNames = new Set<string>();
  /** "command:tag" pairs already reported as unknown. */
  private readonly unknownTags = new Set<string>();

  /** Set by a fatal error (a required extension that can't be used): nothing more is validated. */
  private fatal = false;
  private requiresDone = false;

  finishTop(): void {
    this.finishRequires({ line: 1, column: 1 });
  }

  /** After the last require: let each required extension check its companions. */
  private finishRequires(at: Position): void {
    if (this.requiresDone) return;
    this.requiresDone = true;
    for (const e of this.reg.extensions) {
      if (!e.checkRequired || !e.capabilities.some((c) => this.requires.has(c))) continue;
      const err = e.checkRequired(this);
      if (err) {
        this.error(at, err);
        this.fatal = true;
        return;
      }
    }
  }

  block(cmds: readonly CommandNode[], top: boolean): CNode[] {
    const out: CNode[] = [];
    // The previous command of this block, when it is a known one (Pigeonhole's sieve_command_prev).
    let prev: string | null = null;
    let chain: { index: number; branches: { test: CNode; block: CNode[] }[]; elseBlock?: CNode[] } | null =
      null;
    cmds.forEach((cmd, index) => {
      if (top && cmd.name !== 'require') this.finishRequires(cmd);
      if (this.fatal) return;
      const def = this.context(cmd, 'command');
      const before = prev;
      prev = def ? cmd.name : null;
      if (!def) {
        chain = null;
        return;
      }
      if (cmd.name === 'require') {
        this.require(cmd, top, index === 0, before);
        chain = null;
        return;
      }
      if (cmd.name === 'if' || cmd.name === 'elsif' || cmd.name === 'else') {
        const r = this.conditional(cmd, before);
        if (cmd.name === 'if') {
          // A failed if still heads its chain: its elsif/else are checked, not compiled.
          chain = r?.test
            ? { index: out.length, branches: [{ test: r.test, block: r.block }] }
            : { index: -1, branches: [] };
          if (chain.index >= 0)
            out.push({ id: 'if', tags: {}, args: [], line: cmd.line, branches: chain.branches });
          return;
        }
        const open = chain;
        if (cmd.name === 'else') chain = null;
        if (!r || !open || open.index < 0) return;
        if (cmd.name === 'elsif' && r.test) open.branches.push({ test: r.test, block: r.block });
        else if (cmd.name === 'else') open.elseBlock = r.block;
        out[open.index] = {
          id: 'if',
          tags: {},
          args: [],
          line: out[open.index]!.line,
          branches: open.branches,
          ...(open.elseBlock ? { elseBlock: open.elseBlock } : {}),
        };
        return;
      }
      chain = null;
      const n = this.node(cmd, def, 'command', cmd.block);
      if (n) out.push(def.kind === 'both' ? { ...n, tags: { ...n.tags, '@command': true } } : n);
    });
    return out;
  }

  /**
   * Pigeonhole's sieve_validate_command_context: is the identifier a known command (or test)
   * of the right kind? Returns its definition, or null after reporting (once per name).
   */
  private context(src: CommandNode | TestNode, as: 'command' | 'test'): CommandDef | null {
    const name = src.name;
    const def = CONTROL[name] ?? this.reg.commands.get(name);
    if (!def || !this.defAvailable(def)) {
      if (!this.unknownNames.has(name)) {
        this.unknownNames.add(name);
        this.error(src, `unknown ${as} '${name}' (only reported once at first occurrence)`);
      }
      return null;
    }
    if (def.kind !== 'both' && def.kind !== as) {
      this.error(src, `attempted to use ${def.kind} '${name}' as ${as}`);
      return null;
    }
    return def;
  }

  private require(cmd: CommandNode, top: boolean, first: boolean, prev: string | null): void {
    this.node(cmd, CONTROL['require']!, 'command', cmd.block, () => {
      if (!top || (!first && prev !== null && prev !== 'require')) {
        this.error(cmd, 'require commands can only be placed at top level at the beginning of the file');
        return false;
      }
      const a = cmd.args[0]!;
      if (a.type !== 'strings') {
        this.error(
          a,
          `the require command accepts a single string or string list argument, but ${describeArg(a)} was found`,
        );
        return false;
      }
      for (const v of a.values) {
        const cap = v.value;
        if (!this.available(cap)) this.error(v, `require command: unknown Sieve capability '${cap}'`);
        else this.addRequire(cap);
      }
      return true;
    });
  }

  /** if / elsif / else: returns the compiled test and block, or null when invalid. */
  private conditional(cmd: CommandNode, prev: string | null): { test: CNode | null; block: CNode[] } | null {
    let test: CNode | null = null;
    let block: CNode[] = [];
    let ihaveCaps: string[] | undefined;
    const n = this.node(
      cmd,
      CONTROL[cmd.name]!,
      'command',
      cmd.block,
      () => {
        if (cmd.name !== 'if' && prev !== 'if' && prev !== 'elsif') {
          this.error(cmd, `the ${cmd.name} command must follow an if or elseif command`);
          return false;
        }
        return true;
      },
      {
        tests: (tests) => {
          test = tests[0] ?? null;
          // ihave (RFC 5463): capabilities confirmed here become usable inside the block, and a
          // block guarded by unknown capabilities is not compiled at all (Pigeonhole: const false).
          if (test && test.id === 'ihave') {
            const caps = this.literalList(test.args[0]);
            // encoded-character and variables change how strings are read, which is settled
            // before ihave could confirm them; Pigeonhole never honours them here (RFC 5463 §4).
            if (caps && !caps.every((c) => this.available(c) && !IHAVE_REFUSED.has(c.toLowerCase())))
              return false;
            if (caps) ihaveCaps = caps;
          }
          if (test && test.id === 'false') return false;
          return true;
        },
        beforeBlock: () => {
          for (const c of ihaveCaps ?? []) this.addRequire(c);
        },
        block: (b) => {
          block = b;
        },
      },
    );
    if (!n) return null;
    return { test, block };
  }

  test(t: TestNode): CNode | null {
    const def = this.context(t, 'test');
    if (!def) return null;
    return this.node(t, def, 'test', null);
  }

  private defAvailable(def: CommandDef): boolean {
    const caps = this.reg.commandCaps.get(def.name) ?? [];
    return caps.length === 0 || caps.some((c) => this.has(c));
  }

  private tagAvailable(tag: TagDef): boolean {
    if (!tag.requires) return true;
    const r = typeof tag.requires === 'string' ? [tag.requires] : tag.requires;
    return r.some((c) => this.has(c));
  }

  /**
   * Validate one command or test and compile it. `own` adds the command's own checks (run where
   * Pigeonhole runs cmd_def->validate); `hooks` let if/elsif see the compiled test and decide
   * whether the block is compiled (a constant-false test skips it, as in Pigeonhole).
   */
  private node(
    src: CommandNode | TestNode,
    def: CommandDef,
    kind: 'command' | 'test',
    block: readonly CommandNode[] | null,
    own?: () => boolean,
    hooks?: {
      tests?: (tests: CNode[]) => boolean;
      beforeBlock?: () => void;
      block?: (b: CNode[]) => void;
    },
  ): CNode | null {
    const what = `${def.name} ${kind}`;
    const errorsBefore = this.errors.length;
    const tags: Record<string, CValue> = {};
    const tagPos: Record<string, Position> = {};
    const args: CValue[] = [];
    const first = this.arguments(src, def, what, tags, tagPos);
    let ok = first >= 0;
    if (!ok) this.checkSubtests(src, def, what);
    else
      ok =
        this.checkSubtests(src, def, what) &&
        (kind !== 'command' || this.checkBlock(src as CommandNode, def));
    let node: CNode | null = null;
    if (ok) {
      const positional = src.args.slice(first);
      positional.forEach((a, i) => {
        if (!ok) return;
        const k = def.positional?.[i];
        if (k && !kindOk(a, k)) {
          const argName = ARG_NAMES[def.name]?.[i];
          this.error(
            a,
            `the ${what} expects a ${kindName(k)} as argument ${i + 1}${argName ? ` (${argName})` : ''}, but ${describeArg(a)} was found`,
          );
          ok = false;
          return;
        }
        args.push(a.type === 'number' ? a.value : a.type === 'strings' ? this.compileStrings(a) : true);
      });
      if (ok && this.errors.length > errorsBefore) ok = false;
      if (ok && own) ok = own();
      if (ok) {
        node = { id: def.name, tags, args, line: src.line };
        this.checkMatch(node, src, tagPos, what);
        ok = this.errors.length === errorsBefore;
      }
      if (ok && node && def.validate) {
        const before = this.errors.length;
        const data = def.validate(node, this, src, tagPos);
        // Pigeonhole's validators stop at their first complaint.
        if (this.errors.length > before + 1) this.errors.length = before + 1;
        ok = this.errors.length === errorsBefore;
        if (ok && data !== undefined) node = { ...node, data };
      }
    }
    // Descend into sub-tests and the block even when the command itself failed.
    let tests: CNode[] | undefined;
    let compileBlock = true;
    if ((def.tests ?? 'none') !== 'none') {
      const sub = src.tests.map((t) => this.test(t));
      tests = sub.filter((t): t is CNode => t !== null);
      if (sub.length !== tests.length) ok = false;
      if (hooks?.tests && ok) compileBlock = hooks.tests(tests);
    }
    let cblock: CNode[] | undefined;
    if ((def.block ?? 'none') === 'required' && kind === 'command' && block && compileBlock) {
      hooks?.beforeBlock?.();
      const loop = def.name === 'foreverypart' ? 1 : 0;
      const names = (this.state.get('loopNames') as (string | undefined)[] | undefined) ?? [];
      if (loop) this.state.set('loopNames', [...names, this.literal(tags['name'])]);
      this.state.set('loopDepth', ((this.state.get('loopDepth') as number) ?? 0) + loop);
      if (def.name === 'test') this.state.set('inTestBlock', true);
      cblock = this.block(block, false);
      if (def.name === 'test') this.state.set('inTestBlock', false);
      this.state.set('loopDepth', ((this.state.get('loopDepth') as number) ?? 1) - loop);
      if (loop) this.state.set('loopNames', names);
    }
    hooks?.block?.(cblock ?? []);
    if (!ok || !node || this.errors.length > errorsBefore) return null;
    return { ...node, ...(tests ? { tests } : {}), ...(cblock ? { block: cblock } : {}) };
  }

  /** Tags: resolve, then check in order (duplicates, parameters), then the positional count. */
  private arguments(
    src: CommandNode | TestNode,
    def: CommandDef,
    what: string,
    tags: Record<string, CValue>,
    tagPos: Record<string, Position>,
  ): number {
    const list = src.args;
    for (const a of list) {
      if (a.type !== 'tag') continue;
      const tag = def.tags?.find((t) => t.name === a.name && this.tagAvailable(t));
      const key = `${def.name}:${a.name}`;
      if (!tag) {
        if (!this.unknownTags.has(key)) {
          this.unknownTags.add(key);
          this.error(
            a,
            `unknown tagged argument ':${a.name}' for the ${what} (reported only once at first occurrence)`,
          );
        }
        return -1;
      }
    }
    const groups = new Map<string, string>();
    let i = 0;
    for (; i < list.length && list[i]!.type === 'tag'; i++) {
      const a = list[i] as Extract<Argument, { type: 'tag' }>;
      const tag = def.tags!.find((t) => t.name === a.name && this.tagAvailable(t))!;
      const prevInGroup = tag.group ? groups.get(tag.group) : undefined;
      if (tags[tag.name] !== undefined || prevInGroup !== undefined) {
        this.error(
          a,
          prevInGroup !== undefined && prevInGroup !== tag.name
            ? `encountered duplicate ${tag.group} argument (:${a.name}) for the ${what} (':${prevInGroup}' and ':${a.name}')`
            : `encountered duplicate :${a.name} argument for the ${what}`,
        );
        return -1;
      }
      if (tag.group) groups.set(tag.group, tag.name);
      tagPos[tag.name] = a;
      if (tag.param) {
        const p = list[i + 1];
        if (!p || p.type === 'tag' || !kindOk(p, tag.param)) {
          this.error(
            p && p.type !== 'tag' ? p : a,
            `the :${tag.name} tag for the ${what} requires a ${kindName(tag.param)} parameter, but ${p ? describeArg(p) : 'nothing'} was found`,
          );
          return -1;
        }
        i++;
        // :index counts from 1 (RFC 5260 §6).
        if (tag.name === 'index' && p.type === 'number' && p.value === 0) {
          this.error(p, `the :index tag for the ${what} requires a positive number`);
          return -1;
        }
        const before = this.errors.length;
        tags[tag.name] =
          p.type === 'number' ? p.value : this.compileStrings(p as Extract<Argument, { type: 'strings' }>);
        if (this.errors.length > before) return -1;
      } else tags[tag.name] = true;
    }
    const start = i;
    let count = 0;
    for (; i < list.length; i++) {
      const a = list[i]!;
      if (a.type === 'tag') {
        this.error(
          a,
          `encountered an unexpected tagged argument ':${a.name}' while validating positional arguments for the ${what}`,
        );
        return -1;
      }
      count++;
    }
    const want = def.positional?.length ?? 0;
    const min = want - (def.optionalArgs ?? 0);
    if (count < min || count > want) {
      this.error(src, `the ${what} requires ${want} positional argument(s), but ${count} is/are specified`);
      return -1;
    }
    return start;
  }

  /** Pigeonhole's sieve_validate_command_subtests. */
  private checkSubtests(src: CommandNode | TestNode, def: CommandDef, what: string): boolean {
    const mode = def.tests ?? 'none';
    const n = src.tests.length;
    if (mode === 'none') {
      if (n === 0) return true;
      const t = src.tests[0]!;
      const tdef = CONTROL[t.name] ?? this.reg.commands.get(t.name);
      const known = tdef && this.defAvailable(tdef) ? tdef.kind : null;
      if (known === 'test' || known === 'both')
        this.error(src, `the ${what} accepts no sub-tests, but tests are specified`);
      else if (!known && def.tags?.some((tg) => tg.name === t.name && this.tagAvailable(tg)))
        this.error(src, `missing colon ':' before ':${t.name}' tag in ${what}`);
      else this.error(src, `missing semicolon ';' after ${what}`);
      return false;
    }
    if (mode === 'one') {
      if (n === 0) {
        this.error(src, `the ${what} requires one sub-test, but none is specified`);
        return false;
      }
      if (n > 1 || src.testList) {
        this.error(src, `the ${what} requires one sub-test, but a list of tests is specified`);
        return false;
      }
      return true;
    }
    if (n === 0) {
      this.error(src, `the ${what} requires a list of sub-tests, but none is specified`);
      return false;
    }
    if (n === 1 && !src.testList) {
      this.error(src, `the ${what} requires a list of sub-tests, but a single test is specified`);
      return false;
    }
    return true;
  }

  private checkBlock(src: CommandNode, def: CommandDef): boolean {
    if ((def.block ?? 'none') === 'required') {
      if (!src.block) {
        this.error(src, `the ${def.name} command requires a command block, but it is missing`);
        return false;
      }
    } else if (src.block) {
      this.error(src, `the ${def.name} command does not accept a command block, but one is specified anyway`);
      return false;
    }
    return true;
  }

  literalList(v: CValue | undefined): string[] | undefined {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return undefined;
    return v as string[];
  }

  /** Shared checks for comparators and match types. */
  private checkMatch(node: CNode, _src: Position, tagPos: Record<string, Position>, what: string): void {
    const cmpV = node.tags['comparator'];
    let cmpName = 'i;ascii-casemap';
    if (cmpV !== undefined) {
      const name = this.literal(cmpV);
      const pos = tagPos['comparator']!;
      if (name === undefined) this.error(pos, `the :comparator tag of the ${what} requires a literal string`);
      else {
        cmpName = name.toLowerCase();
        const cmp = getComparator(name);
        const cap = comparatorCapability(cmpName);
        if (!cmp || (cap && !this.has(cap))) this.error(pos, `unknown comparator '${name}'`);
      }
    }
    for (const rel of ['value', 'count']) {
      const v = node.tags[rel];
      if (v === undefined) continue;
      const r = this.literal(v);
      if (r !== undefined && !(RELATIONS as readonly string[]).includes(r.toLowerCase()))
        this.error(tagPos[rel]!, `invalid relational match type '${r}' for :${rel}`);
    }
    const cmp = getComparator(cmpName);
    for (const mt of ['contains', 'matches', 'regex']) {
      if (node.tags[mt] !== undefined && cmp && !cmp.substring)
        this.error(tagPos[mt]!, `the comparator '${cmpName}' does not support the :${mt} match type`);
    }
    if (node.tags['regex'] !== undefined) {
      const keys = node.args[node.args.length - 1];
      if (Array.isArray(keys))
        for (const k of keys) {
          if (typeof k === 'string' && !posixRegex(k, regexFold(cmpName)))
            this.error(tagPos['regex']!, `invalid regular expression '${k}' for regex match`);
        }
    }
  }
}

function kindOk(a: Argument, kind: ArgKind): boolean {
  if (kind === 'number') return a.type === 'number';
  if (kind === 'string') return a.type === 'strings' && !a.list && a.values.length === 1;
  return a.type === 'strings';
}

function kindName(k: ArgKind): string {
  return k === 'number' ? 'number' : k === 'string' ? 'string' : 'string list';
}

function describeArg(a: Argument): string {
  return a.type === 'number'
    ? 'a number'
    : a.type === 'tag'
      ? `tag ':${a.name}'`
      : a.list
        ? 'a string list'
        : 'a string';
}

export { MATCH_GROUP };

/**
 * Compile-time include resolution, after the script validated (Pigeonhole does it while
 * generating code): in order, each included script is checked for circularity, nesting depth
 * and the total number of included scripts, then compiled once with the same loader. The first
 * failure ends it (one error for this script; the nested compile's own errors come first).
 */
function resolveIncludes(c: Compiler, options: CompileOptions): void {
  const chain = options.includeChain ?? [];
  const included = options.includedScripts ?? new Set<string>();
  for (const inc of (c.state.get('includes') as PendingInclude[] | undefined) ?? []) {
    const key = `${inc.location}:${inc.name}`;
    if (chain.length >= c.limits.maxIncludeDepth) {
      c.error(inc.pos, `cannot nest includes deeper than ${c.limits.maxIncludeDepth} levels`);
      return;
    }
    if (!inc.once && chain.includes(key)) {
      // Pigeonhole drops it with a warning when an inactive script is uploaded.
      if (options.uploaded && !options.activated) {
        c.warning(inc.pos, 'circular include (ignored during upload)');
        continue;
      }
      c.error(inc.pos, 'circular include');
      return;
    }
    if (included.has(key)) continue;
    if (included.size >= c.limits.maxIncludes) {
      c.error(
        inc.pos,
        `failed to include script '${inc.name}': no more than ${c.limits.maxIncludes} includes allowed`,
      );
      return;
    }
    included.add(key);
    const r = compile(inc.source, {
      ...options,
      name: inc.name,
      isIncluded: true,
      includeChain: [...chain, key],
      includedScripts: included,
    });
    for (const w of r.warnings)
      c.warnings.push({ ...w, message: `included script '${inc.name}': ${w.message}` });
    if (!r.ok) {
      for (const e of r.errors)
        c.errors.push({ ...e, message: `included script '${inc.name}': ${e.message}` });
      c.error(inc.pos, `failed to compile included script '${inc.name}'`);
      return;
    }
  }
}

/** Compile a Sieve script. */
export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const reg = buildRegistry(options.extensions ?? []);
  const c = new Compiler(reg, options);
  if (Buffer.byteLength(source, 'utf8') > limits.maxScriptSize) {
    return { ok: false, errors: [{ line: 1, column: 1, message: 'script is too large' }], warnings: [] };
  }
  const parsed = parseSource(
    source,
    { maxNesting: limits.maxNesting, maxStringLength: limits.maxStringLength },
    (line, column, message, warning) => (warning ? c.warnings : c.errors).push({ line, column, message }),
  );
  // Like Pigeonhole, a script that does not parse is not validated.
  const body: CNode[] = parsed.valid ? c.block(parsed.commands, true) : [];
  if (parsed.valid) c.finishTop();
  if (!c.errors.length && options.includeLoader) resolveIncludes(c, options);
  if (c.errors.length) return { ok: false, errors: c.errors, warnings: c.warnings };
  return {
    ok: true,
    script: { engine: ENGINE_VERSION, name: c.name, requires: [...c.requires], body },
    warnings: c.warnings,
  };
}

export type { Extension };
