// Compiled Sieve programs, cached by what they are compiled from (source hash + engine version), so a
// busy address's script is compiled once, and an engine upgrade recompiles everything by itself.
import { createHash } from 'node:crypto';
import {
  compile,
  directIncludes,
  ENGINE_VERSION,
  includeKey,
  mapLoader,
  preloadIncludes,
  type CompileErrorInfo,
  type CompiledScript,
  type IncludeFetch,
  type IncludeRef,
} from '../../sieve/index.js';

export type CompileOutcome =
  { ok: true; script: CompiledScript } | { ok: false; errors: readonly CompileErrorInfo[] };

export class ScriptCache {
  // Map iteration order is insertion order: re-inserting on a hit makes it an LRU.
  private readonly entries = new Map<string, CompileOutcome>();
  private readonly includes = new Map<string, readonly IncludeRef[]>();

  constructor(private readonly capacity = 500) {}

  static key(source: string, name: string, included: boolean): string {
    return createHash('sha256')
      .update(`${ENGINE_VERSION}\0${included ? 'i' : 'm'}\0${name}\0${source}`)
      .digest('hex');
  }

  compile(source: string, name: string, included: boolean): CompileOutcome {
    return this.remember(ScriptCache.key(source, name, included), () =>
      compile(source, { name, isIncluded: included }),
    );
  }

  /**
   * Compiles a script that runs at delivery with compile-time include checks, as Pigeonhole
   * does: the scripts it can include are fetched first (the compiler's loader is synchronous),
   * so a missing or circular include, or an included script that does not compile, makes the
   * script not compile. The outcome is cached by the script and everything it includes.
   * `self` is the include key the script is stored under (a script including itself is circular).
   */
  async compileWithIncludes(
    source: string,
    name: string,
    fetch: IncludeFetch,
    self?: { location: 'personal' | 'global'; name: string },
  ): Promise<CompileOutcome> {
    // Nearly every script includes nothing: no fetching, no second cache key.
    if (!/include/i.test(source)) return this.compile(source, name, false);
    const selfKey = self ? includeKey(self.location, self.name) : undefined;
    const map = await preloadIncludes(source, {}, fetch, {
      direct: (src, options) => this.direct(src, options.isIncluded ?? false),
      ...(selfKey ? { known: new Map([[selfKey, source]]) } : {}),
    });
    const hash = createHash('sha256').update(`${ENGINE_VERSION}\0c\0${name}\0${selfKey ?? ''}\0${source}`);
    for (const k of [...map.keys()].sort()) hash.update(`\0${k}\0${map.get(k) ?? '\u0001'}`);
    const key = hash.digest('hex');
    return this.remember(key, () =>
      compile(source, { name, includeLoader: mapLoader(map), includeChain: selfKey ? [selfKey] : [] }),
    );
  }

  /** The scripts a source includes directly (cached: found by compiling it). */
  private direct(source: string, included: boolean): readonly IncludeRef[] {
    const key = `d:${ScriptCache.key(source, '', included)}`;
    let refs = this.includes.get(key);
    if (!refs) {
      refs = directIncludes(source, { isIncluded: included });
      this.includes.set(key, refs);
      if (this.includes.size > this.capacity) this.includes.delete(this.includes.keys().next().value!);
    }
    return refs;
  }

  private remember(key: string, make: () => ReturnType<typeof compile>): CompileOutcome {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const r = make();
    const outcome: CompileOutcome = r.ok ? { ok: true, script: r.script } : { ok: false, errors: r.errors };
    this.entries.set(key, outcome);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return outcome;
  }

  get size(): number {
    return this.entries.size;
  }
}
