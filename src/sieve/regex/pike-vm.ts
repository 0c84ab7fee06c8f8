/**
 * Pike VM: runs a compiled program over the text in one pass, keeping every live thread in a
 * list ordered by priority (the order a backtracking matcher would try them), so the match and
 * captures are the leftmost-first ones a RegExp would report — without backtracking. Each
 * instruction is visited at most once per text position, so a match costs O(text × program)
 * steps and holds at most one thread (one capture array) per instruction.
 */
import { foldChar, type FoldMode } from './charset.js';
import { Op, type Program } from './program.js';

/** Units of work (instructions executed) between calls to `onWork`. */
export const WORK_CHUNK = 4096;

export interface ExecOptions {
  readonly fold: FoldMode;
  /** False when only whether it matches matters: capture bookkeeping is skipped. */
  readonly captures: boolean;
  /** Called every WORK_CHUNK steps, e.g. to enforce a time limit by throwing. */
  readonly onWork?: (() => void) | undefined;
}

/** A matched thread's slots, or NO_CAPTURES when captures were not requested. */
export const NO_CAPTURES: readonly number[] = [];

class ThreadList {
  readonly pcs: Int32Array;
  readonly caps: (number[] | null)[];
  size = 0;

  constructor(n: number) {
    this.pcs = new Int32Array(n);
    this.caps = new Array<number[] | null>(n).fill(null);
  }

  add(pc: number, caps: number[] | null): void {
    this.pcs[this.size] = pc;
    this.caps[this.size++] = caps;
  }

  clear(): void {
    // Drop references so capture arrays of dead threads can be collected.
    this.caps.fill(null, 0, this.size);
    this.size = 0;
  }
}

/** Runs `prog` over `text`; returns the winning thread's slots or null when nothing matches. */
export function pikeExec(prog: Program, text: string, opts: ExecOptions): readonly number[] | null {
  const insts = prog.insts;
  const n = insts.length;
  const len = text.length;
  const { fold, captures, onWork } = opts;
  const visited = new Uint32Array(n);
  let gen = 0;
  let work = 0;
  const stackPc = new Int32Array(n + 1);
  const stackCaps = new Array<number[] | null>(n + 1).fill(null);
  let clist = new ThreadList(n);
  let nlist = new ThreadList(n);
  const initial = captures ? new Array<number>(prog.slots).fill(-1) : null;

  /** Adds the thread at `pc0` and everything reachable from it without consuming, in priority order. */
  const addThread = (list: ThreadList, pc0: number, caps0: number[] | null, pos: number): void => {
    let sp = 0;
    stackPc[sp] = pc0;
    stackCaps[sp++] = caps0;
    while (sp > 0) {
      let pc = stackPc[--sp]!;
      let caps = stackCaps[sp]!;
      stackCaps[sp] = null;
      for (;;) {
        if (visited[pc] === gen) break;
        visited[pc] = gen;
        if (++work >= WORK_CHUNK) {
          work = 0;
          onWork?.();
        }
        const inst = insts[pc]!;
        switch (inst.op) {
          case Op.Jmp:
            pc = inst.a;
            continue;
          case Op.Split:
            stackPc[sp] = inst.b;
            stackCaps[sp++] = caps;
            pc = inst.a;
            continue;
          case Op.Save:
          case Op.Mark:
            if (caps) {
              caps = caps.slice();
              caps[inst.a] = pos;
            }
            pc++;
            continue;
          case Op.Reset:
            if (caps) {
              caps = caps.slice();
              caps.fill(-1, inst.a, inst.b);
            }
            pc++;
            continue;
          case Op.Check:
            // Only observable through captures; without them the visit rule already stops loops.
            if (caps && caps[inst.a] === pos) break;
            pc++;
            continue;
          case Op.Bol:
            if (pos !== 0) break;
            pc++;
            continue;
          case Op.Eol:
            if (pos !== len) break;
            pc++;
            continue;
          default:
            list.add(pc, caps);
        }
        break;
      }
    }
  };

  let matched: readonly number[] | null = null;
  const canStart = prog.canStart;
  const width = (p: number): number => (text.codePointAt(p)! > 0xffff ? 2 : 1);
  let pos = 0;
  gen++;
  addThread(clist, 0, initial, 0);
  for (;;) {
    if (pos >= len) {
      for (let k = 0; k < clist.size; k++)
        if (insts[clist.pcs[k]!]!.op === Op.Match) {
          matched = clist.caps[k] ?? NO_CAPTURES;
          break;
        }
      break;
    }
    if (clist.size === 0) {
      if (matched || prog.anchored) break;
      // Nothing running, and a match starting here was tried (or could not start here): skip to
      // the next position where one can start.
      pos += width(pos);
      if (canStart) while (pos < len && !canStart(text.codePointAt(pos)!)) pos += width(pos);
      gen++;
      addThread(clist, 0, initial, pos);
      continue;
    }
    const c = text.codePointAt(pos)!;
    const next = pos + (c > 0xffff ? 2 : 1);
    const fc = fold === 'none' ? c : c < 128 ? (c >= 0x41 && c <= 0x5a ? c + 32 : c) : foldChar(c, fold);
    gen++;
    for (let k = 0; k < clist.size; k++) {
      const pc = clist.pcs[k]!;
      const inst = insts[pc]!;
      if (++work >= WORK_CHUNK) {
        work = 0;
        onWork?.();
      }
      switch (inst.op) {
        case Op.Char:
          if (inst.a === fc) addThread(nlist, pc + 1, clist.caps[k]!, next);
          break;
        case Op.Any:
          addThread(nlist, pc + 1, clist.caps[k]!, next);
          break;
        case Op.Set:
          if (inst.set!.matches(c)) addThread(nlist, pc + 1, clist.caps[k]!, next);
          break;
        case Op.Match:
          // Threads after this one have lower priority than the match found: drop them.
          matched = clist.caps[k] ?? NO_CAPTURES;
          k = clist.size;
          break;
        default:
      }
    }
    // A match may also start at the next position, after every thread already running (not
    // worth starting where its first character cannot match).
    if (!matched && !prog.anchored && (!canStart || next >= len || canStart(text.codePointAt(next)!)))
      addThread(nlist, 0, initial, next);
    clist.clear();
    [clist, nlist] = [nlist, clist];
    pos = next;
  }
  return matched;
}
