// Compiled Sieve programs, cached by what they are compiled from (source hash + engine version), so a
// busy address's script is compiled once, and an engine upgrade recompiles everything by itself.
import { createHash } from 'node:crypto';
import { compile, ENGINE_VERSION, type CompileErrorInfo, type CompiledScript } from '../../sieve/index.js';

export type CompileOutcome =
  { ok: true; script: CompiledScript } | { ok: false; errors: readonly CompileErrorInfo[] };

export class ScriptCache {
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU.
  private readonly entries = new Map<string, CompileOutcome>();

  constructor(private readonly capacity = 500) {}

  static key(source: string, name: string, included: boolean): string {
    return createHash('sha256')
      .update(`${ENGINE_VERSION}\0${included ? 'i' : 'm'}\0${name}\0${source}`)
      .digest('hex');
  }

  compile(source: string, name: string, included: boolean): CompileOutcome {
    const key = ScriptCache.key(source, name, included);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const r = compile(source, { name, isIncluded: included });
    const outcome: CompileOutcome = r.ok ? { ok: true, script: r.script } : { ok: false, errors: r.errors };
    this.entries.set(key, outcome);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return outcome;
  }

  get size(): number {
    return this.entries.size;
  }
}
