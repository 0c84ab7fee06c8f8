/**
 * Compiles a parsed expression to a Pike-VM program (Thompson NFA with capture slots). The
 * program has at most MAX_PROGRAM instructions, which with the VM's one-visit-per-instruction
 * rule bounds a match to O(text × program) steps and O(program) live threads.
 */
import type { ParsedRegex, RegexNode } from './ast.js';
import { foldChar, type CharSet, type FoldMode } from './charset.js';

/** Largest program; bounded repetitions are expanded, so `(a{255}){255}` would exceed it. */
export const MAX_PROGRAM = 32_768;
/** Capture groups beyond this are matched but not recorded (no match variable can read them). */
export const MAX_TRACKED_GROUPS = 31;
/** Empty-iteration checks needing a position register; further ones fall back to the visit rule. */
const MAX_MARKS = 32;

/** Instruction codes (numbers in a plain object: the VM switches on them in its hot loop). */
export const Op = {
  Char: 0,
  Any: 1,
  Set: 2,
  Split: 3,
  Jmp: 4,
  Save: 5,
  /** Clear the capture slots [a, b) (captures inside a repeated group restart each iteration). */
  Reset: 6,
  /** Store the current position in register a. */
  Mark: 7,
  /** Fail when nothing was consumed since Mark a (an optional iteration that matched empty). */
  Check: 8,
  Bol: 9,
  Eol: 10,
  Match: 11,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

export interface Inst {
  op: Op;
  /** Char: code point; Split/Jmp: first target; Save: slot; Reset: from slot; Mark/Check: register. */
  a: number;
  /** Split: second (lower-priority) target; Reset: end slot. */
  b: number;
  set?: CharSet;
}

export interface Program {
  readonly insts: readonly Inst[];
  /** Number of capture groups in the expression (including untracked ones). */
  readonly groups: number;
  /** Capture slots (2 per tracked group and the whole match) followed by Mark registers. */
  readonly slots: number;
  /** True when every match must start at position 0 (the expression begins with `^`). */
  readonly anchored: boolean;
  /**
   * Whether a match can start with this character away from the text's ends; null when any
   * character can (or the empty string matches there).
   */
  readonly canStart: ((c: number) => boolean) | null;
}

export function compileProgram(parsed: ParsedRegex, fold: FoldMode, maxProgram = MAX_PROGRAM): Program {
  const c = new Compiler(Math.min(parsed.groups, MAX_TRACKED_GROUPS), maxProgram);
  c.emit(Op.Save, 0);
  c.node(parsed.root);
  c.emit(Op.Save, 1);
  c.emit(Op.Match);
  return {
    insts: c.insts,
    groups: parsed.groups,
    slots: c.captureSlots + c.marks,
    anchored: startsAnchored(parsed.root),
    canStart: firstCharFilter(c.insts, fold),
  };
}

/** The characters the program's first consuming instructions accept, in mid-text. */
function firstCharFilter(insts: readonly Inst[], fold: FoldMode): ((c: number) => boolean) | null {
  const chars = new Set<number>();
  const sets: CharSet[] = [];
  const seen = new Uint8Array(insts.length);
  const stack = [0];
  while (stack.length) {
    const pc = stack.pop()!;
    if (seen[pc]) continue;
    seen[pc] = 1;
    const inst = insts[pc]!;
    switch (inst.op) {
      case Op.Char:
        chars.add(inst.a);
        break;
      case Op.Set:
        sets.push(inst.set!);
        break;
      case Op.Any:
      case Op.Match:
        return null;
      case Op.Split:
        stack.push(inst.b, inst.a);
        break;
      case Op.Jmp:
        stack.push(inst.a);
        break;
      case Op.Bol:
      case Op.Eol:
        break; // false away from the ends
      default:
        stack.push(pc + 1);
    }
  }
  return (c) => chars.has(foldChar(c, fold)) || sets.some((s) => s.matches(c));
}

function startsAnchored(n: RegexNode): boolean {
  switch (n.t) {
    case 'bol':
      return true;
    case 'cat':
      return startsAnchored(n.items[0]!);
    case 'group':
      return startsAnchored(n.body);
    case 'alt':
      return n.items.every(startsAnchored);
    case 'rep':
      return n.min > 0 && startsAnchored(n.body);
    default:
      return false;
  }
}

/** True when the node can match the empty string. */
function nullable(n: RegexNode): boolean {
  switch (n.t) {
    case 'empty':
    case 'bol':
    case 'eol':
      return true;
    case 'char':
    case 'any':
    case 'set':
      return false;
    case 'group':
      return nullable(n.body);
    case 'cat':
      return n.items.every(nullable);
    case 'alt':
      return n.items.some(nullable);
    case 'rep':
      return n.min === 0 || nullable(n.body);
  }
}

/** The range of capture slots used by groups inside a node, or null. */
function groupSlots(n: RegexNode, tracked: number): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  const walk = (x: RegexNode): void => {
    switch (x.t) {
      case 'group':
        if (x.index <= tracked) {
          lo = Math.min(lo, x.index);
          hi = Math.max(hi, x.index);
        }
        walk(x.body);
        break;
      case 'cat':
      case 'alt':
        x.items.forEach(walk);
        break;
      case 'rep':
        walk(x.body);
        break;
      default:
    }
  };
  walk(n);
  return lo > hi ? null : [2 * lo, 2 * hi + 2];
}

class Compiler {
  readonly insts: Inst[] = [];
  readonly captureSlots: number;
  marks = 0;
  private readonly repInfo = new Map<RegexNode, { reset: [number, number] | null; mark: number }>();

  constructor(
    private readonly tracked: number,
    private readonly maxProgram: number,
  ) {
    this.captureSlots = 2 * (tracked + 1);
  }

  emit(op: Op, a = 0, b = 0, set?: CharSet): number {
    if (this.insts.length >= this.maxProgram) throw new SyntaxError('regular expression too large');
    const inst: Inst = { op, a, b };
    if (set) inst.set = set;
    return this.insts.push(inst) - 1;
  }

  private get pc(): number {
    return this.insts.length;
  }

  node(n: RegexNode): void {
    switch (n.t) {
      case 'empty':
        return;
      case 'char':
        this.emit(Op.Char, n.c);
        return;
      case 'any':
        this.emit(Op.Any);
        return;
      case 'set':
        this.emit(Op.Set, 0, 0, n.set);
        return;
      case 'bol':
        this.emit(Op.Bol);
        return;
      case 'eol':
        this.emit(Op.Eol);
        return;
      case 'group':
        if (n.index <= this.tracked) this.emit(Op.Save, 2 * n.index);
        this.node(n.body);
        if (n.index <= this.tracked) this.emit(Op.Save, 2 * n.index + 1);
        return;
      case 'cat':
        for (const x of n.items) this.node(x);
        return;
      case 'alt': {
        // Split to each alternative in order of preference; all jump to the common end.
        const jumps: number[] = [];
        for (let k = 0; k < n.items.length; k++) {
          const last = k === n.items.length - 1;
          const split = last ? -1 : this.emit(Op.Split);
          if (split >= 0) this.insts[split]!.a = this.pc;
          this.node(n.items[k]!);
          if (!last) {
            jumps.push(this.emit(Op.Jmp));
            this.insts[split]!.b = this.pc;
          }
        }
        for (const j of jumps) this.insts[j]!.a = this.pc;
        return;
      }
      case 'rep':
        this.repetition(n);
        return;
    }
  }

  private info(n: RegexNode & { t: 'rep' }): { reset: [number, number] | null; mark: number } {
    let info = this.repInfo.get(n);
    if (!info) {
      const mark = nullable(n.body) && this.marks < MAX_MARKS ? this.captureSlots + this.marks++ : -1;
      info = { reset: groupSlots(n.body, this.tracked), mark };
      this.repInfo.set(n, info);
    }
    return info;
  }

  /** One iteration: captures inside restart, as each RegExp iteration did. */
  private iteration(n: RegexNode & { t: 'rep' }, optional: boolean): void {
    const { reset, mark } = this.info(n);
    if (reset) this.emit(Op.Reset, reset[0], reset[1]);
    // RegExp semantics: an iteration beyond the minimum that matches nothing fails.
    if (optional && mark >= 0) this.emit(Op.Mark, mark);
    this.node(n.body);
    if (optional && mark >= 0) this.emit(Op.Check, mark);
  }

  /** A split preferring `into` (greedy) or the way out (lazy); returns its pc. */
  private split(greedy: boolean): number {
    return this.emit(Op.Split, greedy ? this.pc + 1 : -1, greedy ? -1 : this.pc + 1);
  }

  private patchExit(split: number, greedy: boolean, exit: number): void {
    if (greedy) this.insts[split]!.b = exit;
    else this.insts[split]!.a = exit;
  }

  private repetition(n: RegexNode & { t: 'rep' }): void {
    for (let k = 0; k < n.min; k++) this.iteration(n, false);
    if (n.max === -1) {
      // loop: split(body, exit); body; jmp loop
      const loop = this.split(n.greedy);
      this.iteration(n, true);
      this.emit(Op.Jmp, loop);
      this.patchExit(loop, n.greedy, this.pc);
      return;
    }
    // Optional iterations nest: x{0,2} = (x(x)?)?, all exiting to the same end.
    const splits: number[] = [];
    for (let k = n.min; k < n.max; k++) {
      splits.push(this.split(n.greedy));
      this.iteration(n, true);
    }
    for (const s of splits) this.patchExit(s, n.greedy, this.pc);
  }
}
