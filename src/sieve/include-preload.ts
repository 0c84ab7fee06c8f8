/**
 * Compile-time include checks for hosts whose script store is asynchronous. The compiler's
 * include loader is synchronous, so the scripts a script can reach through `include` are
 * fetched first — level by level, each script's own include commands found by compiling it —
 * and the compile then runs over that map. Pure: the host passes the fetch function.
 */
import { compile } from './compiler.js';
import { DEFAULT_LIMITS, type CompileOptions, type CompileResult, type IncludeLoader } from './types.js';

export type IncludeLocation = 'personal' | 'global';

export interface IncludeRef {
  readonly location: IncludeLocation;
  readonly name: string;
}

/** Fetches a script's source; undefined or null when it does not exist. */
export type IncludeFetch = (location: IncludeLocation, name: string) => Promise<string | null | undefined>;

/** Sources by `location:name`; null for scripts that do not exist. */
export type IncludeMap = ReadonlyMap<string, string | null>;

export const includeKey = (location: IncludeLocation, name: string): string => `${location}:${name}`;

/**
 * The scripts a script includes directly (constant names, as `include` requires). Found by
 * compiling it with a loader that records each request and answers with an empty script, so
 * every include command is seen and nothing is fetched.
 */
export function directIncludes(source: string, options: CompileOptions = {}): IncludeRef[] {
  const found = new Map<string, IncludeRef>();
  compile(source, {
    ...options,
    uploaded: false,
    includeLoader: (location, name) => {
      found.set(includeKey(location, name), { location, name });
      return '';
    },
  });
  return [...found.values()];
}

export interface PreloadOptions {
  /** Scripts already known, e.g. the one being stored under its own name. */
  readonly known?: IncludeMap;
  /** Replaces `directIncludes` (a host may cache it by source). */
  readonly direct?: (source: string, options: CompileOptions) => readonly IncludeRef[];
}

/**
 * Fetches every script reachable from `source` through includes, breadth first, stopping at
 * the nesting depth and include count limits (the compile reports those as errors anyway).
 */
export async function preloadIncludes(
  source: string,
  options: CompileOptions,
  fetch: IncludeFetch,
  preload: PreloadOptions = {},
): Promise<Map<string, string | null>> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const direct = preload.direct ?? directIncludes;
  const map = new Map<string, string | null>(preload.known ?? []);
  const scanned = new Set<string>();
  let level: string[] = [source];
  for (let depth = 0; depth <= limits.maxIncludeDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const src of level) {
      for (const ref of direct(src, { ...options, isIncluded: depth > 0 })) {
        const key = includeKey(ref.location, ref.name);
        if (!map.has(key)) {
          if (map.size > limits.maxIncludes) return map;
          map.set(key, (await fetch(ref.location, ref.name)) ?? null);
        }
        const got = map.get(key);
        if (got !== null && got !== undefined && !scanned.has(key)) {
          scanned.add(key);
          next.push(got);
        }
      }
    }
    level = next;
  }
  return map;
}

/** A synchronous loader over preloaded sources. */
export function mapLoader(map: IncludeMap): IncludeLoader {
  return (location, name) => map.get(includeKey(location, name)) ?? null;
}

/** Compiles with compile-time include checks, fetching the included scripts first. */
export async function compileWithIncludes(
  source: string,
  options: CompileOptions,
  fetch: IncludeFetch,
  preload: PreloadOptions = {},
): Promise<CompileResult> {
  const map = await preloadIncludes(source, options, fetch, preload);
  return compile(source, { ...options, includeLoader: mapLoader(map) });
}
