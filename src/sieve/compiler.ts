/**
 * Compiler: syntax tree → validated, JSON-serialisable program. Checks capabilities
 * (`require`), argument shapes, tag groups, comparators, match types and each
 * extension's own rules, and reports every error it finds with line and column.
 */
import type { Argument, CommandNode, Position, TestNode } from './ast.js';
import { comparatorCapability, getComparator, RELATIONS } from './comparators.js';
import type { ArgKind, CommandDef, CompileCtx, Extension, TagDef } from './extension.js';
import { parseSource } from './parser.js';
import { posixRegex } from './regex.js';
import { buildRegistry, type Registry } from './registry.js';
import { compileString } from './strings.js';
import {
  DEFAULT_LIMITS,
  type CNode,
  type CValue,
  type CompileErrorInfo,
  type CompileOptions,
  type CompileResult,
} from './types.js';

export const ENGINE_VERSION = 1;

const MATCH_GROUP = 'match-type';

class Compiler implements CompileCtx {
  readonly errors: CompileErrorInfo[] = [];
  readonly warnings: CompileErrorInfo[] = [];
  readonly requires = new Set<string>();
  readonly state = new Map<string, unknown>();
  readonly name: string;

  constructor(
    readonly reg: Registry,
    readonly options: CompileOptions,
  ) {
    this.name = options.name ?? 'script';
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
    const dot = name.indexOf('.');
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

  block(cmds: readonly CommandNode[], top: boolean): CNode[] {
    const out: CNode[] = [];
    let seenOther = false;
    let lastIf: { branches: { test: CNode; block: CNode[] }[]; elseBlock?: CNode[] } | null = null;
    let lastIfIndex = -1;
    for (const cmd of cmds) {
      if (cmd.name === 'require') {
        if (!top || seenOther)
          this.error(cmd, 'require command can only be placed at top level at the beginning of the file');
        this.compileRequire(cmd);
        continue;
      }
      seenOther = true;
      if (cmd.name === 'elsif' || cmd.name === 'else') {
        if (!lastIf || lastIf.elseBlock) {
          this.error(cmd, `${cmd.name} command must follow an if or elseif command`);
          lastIf = null;
          continue;
        }
        if (cmd.name === 'elsif') {
          const c = this.conditional(cmd);
          if (c) lastIf.branches.push(c);
        } else {
          this.checkBare(cmd, 'else');
          lastIf.elseBlock = cmd.block ? this.block(cmd.block, false) : [];
        }
        out[lastIfIndex] = {
          id: 'if',
          tags: {},
          args: [],
          line: out[lastIfIndex]!.line,
          branches: lastIf.branches,
          ...(lastIf.elseBlock ? { elseBlock: lastIf.elseBlock } : {}),
        };
        continue;
      }
      if (cmd.name === 'if') {
        const c = this.conditional(cmd);
        lastIf = { branches: c ? [c] : [] };
        lastIfIndex = out.length;
        out.push({ id: 'if', tags: {}, args: [], line: cmd.line, branches: lastIf.branches });
        continue;
      }
      lastIf = null;
      const n = this.command(cmd);
      if (n) out.push(n);
    }
    return out;
  }

  private checkBare(cmd: CommandNode, name: string): void {
    if (cmd.args.length) this.error(cmd.args[0]!, `the ${name} command accepts no arguments`);
    if (cmd.tests.length) this.error(cmd, `the ${name} command accepts no tests`);
    if (!cmd.block) this.error(cmd, `the ${name} command requires a command block`);
  }

  private conditional(cmd: CommandNode): { test: CNode; block: CNode[] } | null {
    if (cmd.args.length) this.error(cmd.args[0]!, `the ${cmd.name} command accepts no arguments`);
    if (cmd.tests.length !== 1 || cmd.testList) {
      this.error(
        cmd,
        `the ${cmd.name} command requires one test argument, but ${cmd.tests.length === 0 ? 'none' : 'a test list'} was specified`,
      );
      if (cmd.block) this.block(cmd.block, false);
      return null;
    }
    if (!cmd.block) {
      this.error(cmd, `the ${cmd.name} command requires a command block`);
      return null;
    }
    const t = cmd.tests[0]!;
    // ihave (RFC 5463): capabilities confirmed here become usable inside the block, and
    // a block guarded by unknown capabilities is not compiled at all.
    if (t.name === 'ihave' && this.has('ihave')) {
      const test = this.test(t);
      const caps = test ? this.literalList(test.args[0]) : undefined;
      if (caps && !caps.every((c) => this.available(c))) return { test: test!, block: [] };
      if (caps) for (const c of caps) this.addRequire(c);
      return test ? { test, block: this.block(cmd.block, false) } : null;
    }
    const test = this.test(t);
    const block = this.block(cmd.block, false);
    return test ? { test, block } : null;
  }

  literalList(v: CValue | undefined): string[] | undefined {
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return undefined;
    return v as string[];
  }

  private compileRequire(cmd: CommandNode): void {
    const a = cmd.args[0];
    if (cmd.args.length !== 1 || !a || a.type !== 'strings') {
      this.error(cmd, 'the require command expects a string list argument');
      return;
    }
    if (cmd.block) this.error(cmd, 'the require command does not accept a block');
    for (const v of a.values) {
      const cap = v.value;
      if (!this.available(cap)) this.error(v, `require command: unknown Sieve capability '${cap}'`);
      else this.addRequire(cap);
    }
  }

  command(cmd: CommandNode): CNode | null {
    const def = this.reg.commands.get(cmd.name);
    if (!def || !this.defAvailable(def)) {
      if (def && def.kind === 'command')
        this.error(cmd, `unknown command '${cmd.name}' (missing require for its extension?)`);
      else if (def) this.error(cmd, `'${cmd.name}' is a test, not a command; it can't be used here`);
      else this.error(cmd, `unknown command '${cmd.name}'`);
      if (cmd.block) this.block(cmd.block, false);
      return null;
    }
    if (def.kind === 'test') {
      this.error(cmd, `invalid command '${cmd.name}': use test '${cmd.name}' inside an if command`);
      return null;
    }
    const n = this.node(cmd, def, cmd.block);
    return n && def.kind === 'both' ? { ...n, tags: { ...n.tags, '@command': true } } : n;
  }

  test(t: TestNode): CNode | null {
    const def = this.reg.commands.get(t.name);
    if (!def || !this.defAvailable(def) || def.kind === 'command') {
      if (def && def.kind === 'command' && this.defAvailable(def))
        this.error(t, `invalid test '${t.name}': it is a command`);
      else this.error(t, `unknown test '${t.name}'`);
      return null;
    }
    return this.node(t, def, null);
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

  private node(
    src: CommandNode | TestNode,
    def: CommandDef,
    block: readonly CommandNode[] | null,
  ): CNode | null {
    const what = `${def.name} ${def.kind}`;
    const errorsBefore = this.errors.length;
    const tags: Record<string, CValue> = {};
    const tagPos: Record<string, Position> = {};
    const groups = new Map<string, string>();
    const args: CValue[] = [];
    const argSrc = src.args;
    let i = 0;
    for (; i < argSrc.length; i++) {
      const a = argSrc[i]!;
      if (a.type !== 'tag') {
        if (args.length >= (def.positional?.length ?? 0)) {
          // Counted below.
        }
        const kind = def.positional?.[args.length];
        args.push(this.argValue(a, kind, what, args.length + 1));
        continue;
      }
      const tag = def.tags?.find((t) => t.name === a.name && this.tagAvailable(t));
      if (!tag) {
        this.error(
          a,
          `unknown tagged argument ':${a.name}' for the ${what} (reported only once at first occurrence)`,
        );
        // Skip a following parameter that belongs to the unknown tag only if it's obvious.
        continue;
      }
      if (args.length > 0)
        this.error(a, `tagged argument ':${a.name}' of the ${what} must come before positional arguments`);
      if (tags[tag.name] !== undefined) {
        this.error(a, `encountered duplicate tag ':${a.name}' for the ${what}`);
        continue;
      }
      if (tag.group) {
        const prev = groups.get(tag.group);
        if (prev)
          this.error(
            a,
            `multiple ${tag.group} arguments specified for the ${what} (':${prev}' and ':${a.name}')`,
          );
        groups.set(tag.group, tag.name);
      }
      tagPos[tag.name] = a;
      if (tag.param) {
        const p = argSrc[i + 1];
        if (!p || p.type === 'tag' || !kindOk(p, tag.param)) {
          this.error(
            a,
            `the :${tag.name} tag for the ${what} requires a ${kindName(tag.param)} parameter, but ${p ? describeArg(p) : 'nothing'} was found`,
          );
          if (p && p.type !== 'tag') i++;
          continue;
        }
        i++;
        tags[tag.name] =
          p.type === 'number' ? p.value : this.compileStrings(p as Extract<Argument, { type: 'strings' }>);
      } else tags[tag.name] = true;
    }
    const want = def.positional?.length ?? 0;
    const min = want - (def.optionalArgs ?? 0);
    if (args.length < min || args.length > want) {
      this.error(
        src,
        `the ${what} requires ${want} positional argument(s), but ${args.length} were specified`,
      );
    }
    // Sub-tests.
    let tests: CNode[] | undefined;
    const tmode = def.tests ?? 'none';
    if (tmode === 'none' && src.tests.length)
      this.error(src, `the ${what} accepts no sub-tests, but tests are specified`);
    if (tmode === 'one' && (src.tests.length !== 1 || src.testList))
      this.error(src, `the ${what} requires one test argument`);
    if (tmode === 'list' && !src.testList) this.error(src, `the ${what} requires a list of tests`);
    if (tmode !== 'none') tests = src.tests.map((t) => this.test(t)).filter((t): t is CNode => t !== null);
    let cblock: CNode[] | undefined;
    if ((def.block ?? 'none') === 'required') {
      if (!block) this.error(src, `the ${what} requires a command block`);
      else {
        this.state.set(
          'loopDepth',
          ((this.state.get('loopDepth') as number) ?? 0) + (def.name === 'foreverypart' ? 1 : 0),
        );
        if (def.name === 'test') this.state.set('inTestBlock', true);
        cblock = this.block(block, false);
        if (def.name === 'test') this.state.set('inTestBlock', false);
        this.state.set(
          'loopDepth',
          ((this.state.get('loopDepth') as number) ?? 1) - (def.name === 'foreverypart' ? 1 : 0),
        );
      }
    } else if (block) this.error(src, `the ${what} does not accept a command block`);
    const node: CNode = {
      id: def.name,
      tags,
      args,
      ...(tests ? { tests } : {}),
      ...(cblock ? { block: cblock } : {}),
      line: src.line,
    };
    if (this.errors.length > errorsBefore) return null;
    this.checkMatch(node, src, tagPos, what);
    if (this.errors.length > errorsBefore) return null;
    const data = def.validate?.(node, this, src, tagPos);
    if (this.errors.length > errorsBefore) return null;
    return data === undefined ? node : { ...node, data };
  }

  private argValue(a: Argument, kind: ArgKind | undefined, what: string, n: number): CValue {
    if (kind && !kindOk(a, kind)) {
      this.error(
        a,
        `the ${what} expects a ${kindName(kind)} as positional argument ${n}, but ${describeArg(a)} was found`,
      );
    }
    if (a.type === 'number') return a.value;
    if (a.type === 'strings') return this.compileStrings(a);
    return true;
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
          if (typeof k === 'string' && !posixRegex(k, cmpName !== 'i;octet'))
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
  if (c.errors.length) return { ok: false, errors: c.errors, warnings: c.warnings };
  return {
    ok: true,
    script: { engine: ENGINE_VERSION, name: c.name, requires: [...c.requires], body },
    warnings: c.warnings,
  };
}

export type { Extension };
