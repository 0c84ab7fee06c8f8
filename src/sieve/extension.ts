/**
 * The extension contract. Every capability is one module under `extensions/` that
 * declares its commands/tests (compile side: argument shapes, tag groups, validation)
 * and their run-time behaviour (a generator so it can ask the host questions).
 */
import type { Position } from './ast.js';
import type { CNode, CValue, CompileOptions, SieveEvent, SieveLimits } from './types.js';
import type { Runtime } from './runtime/runtime.js';

export type ArgKind = 'string' | 'strings' | 'number';

export interface TagDef {
  readonly name: string;
  readonly param?: ArgKind;
  /** Tags of one group are mutually exclusive (e.g. match types). */
  readonly group?: string;
  /** Capability that must be required for the tag to be known. */
  readonly requires?: string | readonly string[];
}

/** Compile-time services available to `validate`. */
export interface CompileCtx {
  has(capability: string): boolean;
  error(pos: Position, message: string): void;
  warning(pos: Position, message: string): void;
  /** Whether a string value is a compile-time literal (no variable references). */
  isLiteral(v: CValue): boolean;
  /** Literal text of a single-string value (undefined when it has variables). */
  literal(v: CValue | undefined): string | undefined;
  /** Declare a variable name (set, global) so later references are checked. */
  readonly state: Map<string, unknown>;
  readonly name: string;
  /** Effective limits (defaults merged with the compile options). */
  readonly limits: SieveLimits;
  readonly options: CompileOptions;
}

export type RunResult = Generator<SieveEvent, boolean, unknown>;

export interface CommandDef {
  readonly name: string;
  /** `both`: usable as a command and as a test (the node gets tag `@command` as a command). */
  readonly kind: 'command' | 'test' | 'both';
  readonly tags?: readonly TagDef[];
  readonly positional?: readonly ArgKind[];
  /** Number of trailing positional arguments that may be omitted. */
  readonly optionalArgs?: number;
  /** Sub-tests: `one` (not), `list` (anyof/allof), `one` also for if. */
  readonly tests?: 'none' | 'one' | 'list';
  readonly block?: 'none' | 'required';
  /** Semantic checks beyond argument shapes; may return extra data for the runtime. */
  validate?(node: CNode, cc: CompileCtx, pos: Position, tagPos: Readonly<Record<string, Position>>): unknown;
  /**
   * Commands: perform; tests: evaluate (the boolean is the test result). A generator, so that it
   * can ask the host questions (yield a SieveEvent). Every definition has `run` or `evaluate`.
   */
  run?(rt: Runtime, node: CNode): RunResult;
  /**
   * The same for definitions that never ask the host: called directly, without the cost of a
   * generator per test and per command. Definitions with sub-tests (not, anyof, allof) may
   * have both: `evaluate` is used when every sub-test can be evaluated this way.
   */
  evaluate?(rt: Runtime, node: CNode): boolean;
}

export interface Extension {
  /** Capability strings this module provides (for `require` and `ihave`). */
  readonly capabilities: readonly string[];
  readonly commands?: readonly CommandDef[];
  /** Requiring this capability implies these ones (e.g. vacation-seconds → vacation). */
  readonly implies?: readonly string[];
  /**
   * Checked once the `require` commands are done (Pigeonhole's extension validate): an error
   * string here is fatal, validation stops.
   */
  checkRequired?(cc: CompileCtx): string | undefined;
  /** Variable namespaces this extension provides (e.g. "global", "env"). */
  readonly namespaces?: readonly string[];
  /** Called at compile time for `${ns.name}` of a provided namespace; an error string rejects it. */
  checkNamespaceVariable?(ns: string, name: string, assign: boolean): string | undefined;
  /** Run-time value of `${ns.name}` for a provided namespace. */
  readVariable?(rt: Runtime, ns: string, name: string): string;
}
