/**
 * Mailstead's Sieve engine (RFC 5228 and extensions). Pure: no I/O.
 *
 *   const r = compile(source, { name: 'main' });
 *   if (!r.ok) → r.errors: [{ line, column, message }]
 *   const gen = run(r.script, rawMessage, { from, to }, options);
 *   // answer each yielded SieveEvent with gen.next(answer); the return value is a SieveResult.
 *
 * Compiled scripts are plain JSON (`CompiledScript`); store them and recompile when
 * `ENGINE_VERSION` changes.
 */
export { compile, ENGINE_VERSION } from './compiler.js';
export { run, runWith, createRuntime, execute } from './runtime/run.js';
export { SieveMessage } from './runtime/message.js';
export { builtinCapabilities } from './registry.js';
export type { Extension, CommandDef, TagDef, CompileCtx } from './extension.js';
export type { Runtime } from './runtime/runtime.js';
export * from './types.js';
export {
  compileWithIncludes,
  directIncludes,
  includeKey,
  mapLoader,
  preloadIncludes,
  type IncludeFetch,
  type IncludeMap,
  type IncludeRef,
} from './include-preload.js';
