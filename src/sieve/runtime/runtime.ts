/**
 * Interpreter state for one execution: variables, match values, the action result,
 * limits. Extensions receive this object and call its helpers; it never does I/O.
 */
import type { CommandDef, Extension } from '../extension.js';
import {
  DEFAULT_LIMITS,
  type CNode,
  type CStr,
  type CValue,
  type CompiledScript,
  type DeliveryCopy,
  type Envelope,
  type RunOptions,
  type SieveAction,
  type SieveEvent,
  type SieveLimits,
  type SieveResult,
  type SieveRuntimeError,
} from '../types.js';
import type { SieveMessage } from './message.js';

/** Aborts execution with a runtime error (the host falls back to implicit keep). */
export class SieveRuntimeFailure extends Error {}

/** `stop`: ends the whole execution successfully. */
export class StopSignal {}

/** `return`: ends the current (included) script. */
export class ReturnSignal {}

/** `break` inside foreverypart. */
export class BreakSignal {
  constructor(readonly name: string | undefined) {}
}

interface Scope {
  readonly script: CompiledScript;
  readonly vars: Map<string, string>;
  readonly globalNames: Set<string>;
  matchVars: string[];
  readonly requires: ReadonlySet<string>;
}

const NO_REQUIRES: ReadonlySet<string> = new Set();

/** The limits when the options set none (most runs): one frozen object, not one per message. */
const DEFAULTS_ONLY: SieveLimits = Object.freeze({ ...DEFAULT_LIMITS });

/** A script's `require` list as a set, made once per compiled script (scripts are long-lived). */
const requireSets = new WeakMap<CompiledScript, ReadonlySet<string>>();

export function requiresOf(script: CompiledScript): ReadonlySet<string> {
  let r = requireSets.get(script);
  if (!r) requireSets.set(script, (r = new Set(script.requires)));
  return r;
}

function isInbox(a: SieveAction): boolean {
  return a.type === 'keep' || (a.type === 'fileinto' && a.mailbox.toUpperCase() === 'INBOX' && !a.create);
}

function delivers(a: SieveAction): boolean {
  return a.type === 'keep' || a.type === 'fileinto' || a.type === 'redirect';
}

/** Whether two actions deliver to the same place (the later one then merges into the earlier). */
function sameTarget(action: SieveAction, o: SieveAction): boolean {
  if (isInbox(action) && isInbox(o)) return true;
  if (action.type === 'fileinto' && o.type === 'fileinto') return o.mailbox === action.mailbox;
  if (action.type === 'redirect' && o.type === 'redirect')
    return o.address.toLowerCase() === action.address.toLowerCase();
  if (action.type === 'discard' && o.type === 'discard') return true;
  return false;
}

/** Per registry (the testsuite adds commands): which compiled nodes `evaluate` can run. */
const SYNC_NODES = new WeakMap<ReadonlyMap<string, CommandDef>, WeakMap<CNode, boolean>>();

/** An action with where it came from (script name and line), for the host's explanations. */
type ResultAction = SieveAction & { readonly line: number; readonly script: string };

export class Runtime {
  readonly options: RunOptions;
  private limitsCache: { from: unknown; limits: SieveLimits } | undefined;
  message: SieveMessage;
  envelope: Envelope;
  readonly globals: Map<string, string>;
  /** The imap4flags internal variable. */
  flags: string[] = [];
  /** Extension-private state (keyed by extension name). */
  readonly state = new Map<string, unknown>();
  readonly errors: SieveRuntimeError[] = [];
  readonly duplicateMarks: { id: string; seconds: number }[] = [];
  private actions: ResultAction[] = [];
  private implicitKeep = true;
  private steps = 0;
  private scopes: Scope[] = [];
  line = 0;
  failed = false;

  constructor(
    readonly registry: ReadonlyMap<string, CommandDef>,
    readonly extensions: readonly Extension[],
    message: SieveMessage,
    envelope: Envelope,
    options: RunOptions,
  ) {
    this.options = options;
    this.message = message;
    this.envelope = envelope;
    this.globals = options.globals ?? new Map();
    let sync = SYNC_NODES.get(registry);
    if (!sync) SYNC_NODES.set(registry, (sync = new WeakMap()));
    this.syncNodes = sync;
  }

  // ---- limits and errors -------------------------------------------------

  /** Effective limits; re-read when the options' limits object is replaced. */
  get limits(): SieveLimits {
    const from = this.options.limits;
    if (!this.limitsCache || this.limitsCache.from !== from)
      this.limitsCache = {
        from,
        limits: from === undefined ? DEFAULTS_ONLY : { ...DEFAULT_LIMITS, ...from },
      };
    return this.limitsCache!.limits;
  }

  /** When the current execution started (Date.now()), for the `maxCpuTime` limit. */
  clockStart = Date.now();

  step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) this.fail('execution exceeded CPU time limit');
    // Reading the clock on every 16th step keeps the check cheap; a step is at most one match.
    if ((this.steps & 15) < n || n >= 16) {
      const max = this.limits.maxCpuTime;
      if (max > 0 && Date.now() - this.clockStart > max * 1000)
        this.fail(`execution exceeded CPU time limit of ${max} seconds`);
    }
  }

  fail(message: string): never {
    throw new SieveRuntimeFailure(message);
  }

  /** Record a non-fatal runtime error (e.g. a bad value that makes a test false). */
  warn(message: string): void {
    this.errors.push({ line: this.line, message });
  }

  // ---- scopes and variables ----------------------------------------------

  private get scope(): Scope {
    return this.scopes[this.scopes.length - 1]!;
  }

  get script(): CompiledScript {
    return this.scope.script;
  }

  has(capability: string): boolean {
    return this.scope.requires.has(capability);
  }

  get depth(): number {
    return this.scopes.length;
  }

  declareGlobal(name: string): void {
    this.scope.globalNames.add(name.toLowerCase());
  }

  getVariable(name: string): string {
    const n = name.toLowerCase();
    const dot = n.indexOf('.');
    if (dot >= 0) {
      const ns = n.slice(0, dot);
      const rest = n.slice(dot + 1);
      if (ns === 'global') return this.globals.get(rest) ?? '';
      for (const e of this.extensions) {
        if (e.namespaces?.includes(ns) && e.readVariable) return e.readVariable(this, ns, rest);
      }
      return '';
    }
    if (this.scope.globalNames.has(n)) return this.globals.get(n) ?? '';
    return this.scope.vars.get(n) ?? '';
  }

  setVariable(name: string, value: string): void {
    const n = name.toLowerCase();
    const v = this.truncate(value);
    if (n.startsWith('global.')) {
      this.globals.set(n.slice(7), v);
      return;
    }
    if (this.scope.globalNames.has(n)) {
      this.globals.set(n, v);
      return;
    }
    if (!this.scope.vars.has(n) && this.scope.vars.size >= this.limits.maxVariables)
      this.fail('number of variables exceeds limit');
    this.scope.vars.set(n, v);
  }

  private truncate(v: string): string {
    const max = this.limits.maxVariableSize;
    if (v.length <= max / 4) return v;
    const b = Buffer.from(v, 'utf8');
    if (b.length <= max) return v;
    let end = max;
    while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
    return b.subarray(0, end).toString('utf8');
  }

  setMatchVariables(caps: readonly string[]): void {
    if (!this.scopes.length || !this.has('variables')) return;
    this.scope.matchVars = caps.slice(0, this.limits.maxMatchVariables).map((c) => this.truncate(c));
  }

  matchVariable(n: number): string {
    return this.scope.matchVars[n] ?? '';
  }

  // ---- string expansion --------------------------------------------------

  expandStr(s: CStr): string {
    if (typeof s === 'string') return s;
    let out = '';
    for (const p of s.t) {
      if (typeof p === 'string') out += p;
      else if ('v' in p) out += this.getVariable(p.v);
      else out += this.matchVariable(p.m);
    }
    return out;
  }

  expand(v: CValue | undefined): string[] {
    if (v === undefined || v === true || typeof v === 'number') return [];
    return v.map((s) => this.expandStr(s));
  }

  expandOne(v: CValue | undefined): string {
    return this.expand(v)[0] ?? '';
  }

  // ---- execution ---------------------------------------------------------

  *execScript(script: CompiledScript): Generator<SieveEvent, void, unknown> {
    this.scopes.push({
      script,
      vars: new Map(),
      globalNames: new Set(),
      matchVars: [],
      requires: requiresOf(script),
    });
    try {
      // A script that never asks the host (most filing scripts) runs without generators.
      if (this.blockIsSync(script.body)) this.execSync(script.body);
      else yield* this.execBlock(script.body);
    } catch (e) {
      if (!(e instanceof ReturnSignal)) throw e;
    } finally {
      this.scopes.pop();
    }
  }

  *execBlock(block: readonly CNode[]): Generator<SieveEvent, void, unknown> {
    for (const node of block) {
      this.step();
      const def = this.registry.get(node.id);
      if (!def) this.fail(`unknown command '${node.id}'`);
      this.line = node.line;
      if (def.evaluate && this.isSync(node)) def.evaluate(this, node);
      else yield* def.run!(this, node);
    }
  }

  *test(node: CNode): Generator<SieveEvent, boolean, unknown> {
    this.step();
    const def = this.registry.get(node.id);
    if (!def) this.fail(`unknown test '${node.id}'`);
    this.line = node.line;
    if (def.evaluate && this.isSync(node)) return def.evaluate(this, node);
    return yield* def.run!(this, node);
  }

  /**
   * Whether a command or test (with all its sub-tests and blocks) can run without asking the
   * host, i.e. without a generator. Decided once per compiled node and registry.
   */
  isSync(node: CNode): boolean {
    let s = this.syncNodes.get(node);
    if (s === undefined) {
      const def = this.registry.get(node.id);
      s =
        def?.evaluate !== undefined &&
        (node.tests ?? []).every((t) => this.isSync(t)) &&
        (node.branches ?? []).every((b) => this.isSync(b.test) && this.blockIsSync(b.block)) &&
        this.blockIsSync(node.block ?? []) &&
        this.blockIsSync(node.elseBlock ?? []);
      this.syncNodes.set(node, s);
    }
    return s;
  }

  blockIsSync(block: readonly CNode[]): boolean {
    for (const n of block) if (!this.isSync(n)) return false;
    return true;
  }

  /** `execBlock` for a block `blockIsSync` accepted. */
  execSync(block: readonly CNode[]): void {
    for (const node of block) {
      this.step();
      const def = this.registry.get(node.id)!;
      this.line = node.line;
      def.evaluate!(this, node);
    }
  }

  /** `test` for a node `isSync` accepted: same steps and line bookkeeping, no generator. */
  evalSync(node: CNode): boolean {
    this.step();
    this.line = node.line;
    return this.registry.get(node.id)!.evaluate!(this, node);
  }

  private readonly syncNodes: WeakMap<CNode, boolean>;

  // ---- result ------------------------------------------------------------

  get keepInEffect(): boolean {
    return this.implicitKeep;
  }

  cancelImplicitKeep(): void {
    this.implicitKeep = false;
  }

  /**
   * How many leading actions of the result the host already executed (multiscript: earlier
   * scripts' actions); later actions do not conflict with them.
   */
  executedActions = 0;

  /** Restore the implicit keep (testsuite result reset). */
  resetResult(): void {
    this.actions = [];
    this.implicitKeep = true;
    this.failed = false;
    this.executedActions = 0;
  }

  /** A new script starts on the same result (multiscript): its implicit keep is in effect again. */
  restoreImplicitKeep(): void {
    this.implicitKeep = true;
  }

  get resultActions(): readonly SieveAction[] {
    return this.actions;
  }

  /** Header snapshot for a delivered copy, when editheader changed the message. */
  copyState(flags: readonly string[] | undefined): DeliveryCopy {
    const headers = this.message.isEdited ? this.message.snapshot() : undefined;
    return { ...(flags ? { flags } : {}), ...(headers ? { headers } : {}) };
  }

  /**
   * Add an action, collapsing duplicates and enforcing conflicts and limits the way
   * RFC 5228 §4.2 / RFC 5429 §2.4 and Pigeonhole do.
   */
  addAction(action: SieveAction): void {
    for (let i = 0; i < this.actions.length; i++) {
      const other = this.actions[i]!;
      // Actions a host already carried out (a multiscript run, Pigeonhole's exec_seq) no longer
      // conflict: a reject after an executed delivery stands, a second reject is dropped.
      if (i < this.executedActions) {
        if (action.type === 'reject' && other.type === 'reject') return;
        if (action.type === 'vacation' && other.type === 'vacation') return;
        continue;
      }
      if (action.type === 'reject' || other.type === 'reject') {
        const o = action.type === 'reject' ? other : action;
        if (o.type === 'reject') this.fail('duplicate reject/ereject action not allowed');
        if (o.type === 'vacation')
          this.fail('reject/ereject action conflicts with other action: vacation also sends a response');
        if (delivers(o))
          this.fail(
            `reject/ereject action conflicts with other action: ${o.type} tries to deliver the message`,
          );
      }
      if (action.type === 'vacation' && other.type === 'vacation')
        this.fail('duplicate vacation action not allowed');
    }
    const existing = this.actions.length === 0 ? -1 : this.actions.findIndex((o) => sameTarget(action, o));
    if (existing >= 0) {
      const o = this.actions[existing]!;
      // A repeated delivery to the same place: the later action's copy state wins.
      if (action.type === 'keep' || action.type === 'fileinto' || action.type === 'redirect') {
        const merged = {
          ...o,
          ...('flags' in action ? { flags: action.flags } : {}),
          ...('headers' in action ? { headers: action.headers } : {}),
        } as ResultAction;
        if (action.type === 'fileinto' && o.type === 'fileinto' && (action.create || action.specialUse)) {
          Object.assign(merged, {
            create: o.create || action.create,
            specialUse: action.specialUse ?? o.specialUse,
          });
        }
        if (!('copy' in action && action.copy) && 'copy' in merged) Object.assign(merged, { copy: false });
        // A keep takes over an earlier fileinto "INBOX" (Pigeonhole turns that action into the keep).
        if (action.type === 'keep' && o.type === 'fileinto') {
          const {
            mailbox: _m,
            copy: _c,
            create: _cr,
            specialUse: _su,
            ...rest
          } = merged as ResultAction & {
            type: 'fileinto';
          };
          this.actions[existing] = { ...rest, type: 'keep' } as ResultAction;
        } else this.actions[existing] = merged;
      }
      if (this.cancels(action)) this.implicitKeep = false;
      return;
    }
    if (this.actions.length >= this.limits.maxActions)
      this.fail('total number of actions exceeds policy limit');
    if (
      action.type === 'redirect' &&
      this.actions.filter((a) => a.type === 'redirect').length >= this.limits.maxRedirects
    )
      this.fail('number of redirect actions exceeds policy limit');
    if (action.type === 'notify' && this.limits.maxNotifications === 0)
      this.fail('local policy prohibits the use of a notify action');
    if (
      action.type === 'notify' &&
      this.actions.filter((a) => a.type === 'notify').length >= this.limits.maxNotifications
    )
      this.fail('number of notify actions exceeds policy limit');
    this.actions.push({ ...action, line: this.line, script: this.scopes.length ? this.script.name : '' });
    if (this.cancels(action)) this.implicitKeep = false;
  }

  private cancels(a: SieveAction): boolean {
    switch (a.type) {
      case 'keep':
      case 'discard':
      case 'reject':
        return true;
      case 'fileinto':
      case 'redirect':
        return !a.copy;
      default:
        return false;
    }
  }

  finish(status: 'ok' | 'error'): SieveResult {
    const duplicateMarks = [...this.duplicateMarks];
    if (status === 'error') {
      return {
        status,
        actions: [],
        origins: [],
        implicitKeep: {},
        errors: [...this.errors],
        duplicateMarks: [],
      };
    }
    const actions = this.actions.map(({ line: _line, script: _script, ...a }) => a as SieveAction);
    const origins = this.actions.map((a) => ({ script: a.script, line: a.line }));
    const implicitKeep = this.implicitKeep
      ? this.copyState(this.has0('imap4flags') ? this.flags : undefined)
      : null;
    return { status, actions, origins, implicitKeep, errors: [...this.errors], duplicateMarks };
  }

  /** Whether the top-level script required a capability (scopes are gone after the run). */
  private has0(cap: string): boolean {
    return this.topRequires.has(cap);
  }

  topRequires: ReadonlySet<string> = NO_REQUIRES;
}
