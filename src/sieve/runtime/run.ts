/** The public entry point of the runtime: a generator that yields host questions. */
import { buildRegistry } from '../registry.js';
import type { CompiledScript, Envelope, RunOptions, SieveEvent, SieveResult } from '../types.js';
import { SieveMessage } from './message.js';
import {
  BreakSignal,
  requiresOf,
  ReturnSignal,
  Runtime,
  SieveRuntimeFailure,
  StopSignal,
} from './runtime.js';

/** Create the interpreter for a script (the testsuite drives it directly). */
export function createRuntime(
  message: Uint8Array | SieveMessage,
  envelope: Envelope,
  options: RunOptions = {},
): Runtime {
  const reg = buildRegistry(options.extensions ?? []);
  const msg = message instanceof SieveMessage ? message : new SieveMessage(message);
  return new Runtime(reg.commands, reg.extensions, msg, envelope, options);
}

/** Execute a script body in an existing runtime; returns 'error' on a runtime failure. */
export function* execute(
  rt: Runtime,
  script: CompiledScript,
): Generator<SieveEvent, 'ok' | 'error', unknown> {
  rt.topRequires =
    rt.topRequires.size === 0 ? requiresOf(script) : new Set([...rt.topRequires, ...script.requires]);
  rt.clockStart = Date.now();
  try {
    yield* rt.execScript(script);
    return 'ok';
  } catch (e) {
    if (e instanceof StopSignal || e instanceof ReturnSignal || e instanceof BreakSignal) return 'ok';
    if (e instanceof SieveRuntimeFailure) {
      rt.errors.push({ line: rt.line, message: e.message });
      rt.failed = true;
      return 'error';
    }
    throw e;
  }
}

/**
 * Run a compiled script against a message. Drive it like this:
 *
 *   const gen = run(script, raw, envelope, options);
 *   let step = gen.next();
 *   while (!step.done) step = gen.next(await answer(step.value));
 *   const result = step.value;
 *
 * See `SieveEvent` for the questions and the answers they expect.
 */
export function* run(
  script: CompiledScript,
  message: Uint8Array | SieveMessage,
  envelope: Envelope,
  options: RunOptions = {},
): Generator<SieveEvent, SieveResult, unknown> {
  const rt = createRuntime(message, envelope, options);
  const status = yield* execute(rt, script);
  return rt.finish(status);
}

/** Drive `run` with an answering function (sync or async). */
export async function runWith(
  script: CompiledScript,
  message: Uint8Array | SieveMessage,
  envelope: Envelope,
  answer: (event: SieveEvent) => unknown,
  options: RunOptions = {},
): Promise<SieveResult> {
  const gen = run(script, message, envelope, options);
  let step = gen.next();
  while (!step.done) step = gen.next(await answer(step.value));
  return step.value;
}
