/**
 * `:matches` wildcards (RFC 5228 §2.7.1: `*` any sequence, `?` one character, `\` quotes) on
 * the same Pike VM as `:regex`: a backtracking matcher takes polynomial time on keys like
 * "*a*a*a*a*a*b". Each wildcard is a capture group (RFC 5229 §3.2) and `*` prefers the shortest
 * expansion, as the RegExp `([^]*?)` it replaces did.
 */
import type { RegexNode } from './ast.js';
import { pikeExec } from './pike-vm.js';
import { compileProgram, MAX_TRACKED_GROUPS, type Program } from './program.js';

export function compileGlob(key: string): Program {
  const items: RegexNode[] = [{ t: 'bol' }];
  let groups = 0;
  for (let i = 0; i < key.length;) {
    let c = key.codePointAt(i)!;
    i += c > 0xffff ? 2 : 1;
    if (c === 0x5c && i < key.length) {
      c = key.codePointAt(i)!;
      i += c > 0xffff ? 2 : 1;
      items.push({ t: 'char', c });
    } else if (c === 0x2a)
      items.push({
        t: 'group',
        index: ++groups,
        body: { t: 'rep', body: { t: 'any' }, min: 0, max: -1, greedy: false },
      });
    else if (c === 0x3f) items.push({ t: 'group', index: ++groups, body: { t: 'any' } });
    else items.push({ t: 'char', c });
  }
  items.push({ t: 'eol' });
  // Literal text costs one instruction a character: a long key is not "too large".
  return compileProgram({ root: { t: 'cat', items }, groups }, 'none', 8 * key.length + 16);
}

/** [whole, wildcard 1, …] of a match of `text` (already folded like the key), or null. */
export function globExec(
  prog: Program,
  text: string,
  original: string,
  onWork?: () => void,
): string[] | null {
  const slots = pikeExec(prog, text, { fold: 'none', captures: true, onWork });
  if (!slots) return null;
  // Captures come from the unfolded value when folding kept every position where it was.
  const src = text.length === original.length ? original : text;
  const out: string[] = [];
  for (let g = 0; g <= prog.groups; g++) {
    const s = slots[2 * g] ?? -1;
    const e = slots[2 * g + 1] ?? -1;
    out.push(g <= MAX_TRACKED_GROUPS && s >= 0 && e >= 0 ? src.slice(s, e) : '');
  }
  return out;
}
