// Shared settings for the seeded fuzzers: a fixed seed (MAILSTEAD_FUZZ_SEED overrides), a small
// number of runs in `npm test` (MAILSTEAD_FUZZ_RUNS raises it: `npm run bench -- fuzz` does), and a
// corpus of inputs that once failed, replayed first by every target (test/fuzz/corpus/<target>.json,
// base64 strings; `npm run bench -- fuzz` appends new failures there).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';

export const SEED = Number(process.env.MAILSTEAD_FUZZ_SEED ?? 20261127);
const SCALE = Number(process.env.MAILSTEAD_FUZZ_RUNS ?? 1);

/** fast-check parameters: seeded, `base` runs times the scale, stopped after `ms` in any case. */
export function params(base: number, ms = 4000): fc.Parameters<unknown> {
  return {
    seed: SEED,
    numRuns: Math.max(1, Math.round(base * SCALE)),
    interruptAfterTimeLimit: ms * Math.max(1, SCALE),
    markInterruptAsFailure: false,
    verbose: fc.VerbosityLevel.None,
  };
}

const CORPUS = join(new URL('../../../test/fuzz/corpus', import.meta.url).pathname);

/** Inputs that once failed for this target (decoded), replayed before the random ones. */
export function corpus(target: string): Buffer[] {
  const file = join(CORPUS, `${target}.json`);
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as string[]).map((s) => Buffer.from(s, 'base64'));
}

/** Runs `fn` and fails when it takes longer than `ms` (a hang in a synchronous parser). */
export function withinTime<T>(ms: number, what: string, fn: () => T): T {
  const t0 = performance.now();
  const r = fn();
  const took = performance.now() - t0;
  if (took > ms) throw new Error(`${what} took ${took.toFixed(0)} ms (limit ${ms} ms)`);
  return r;
}

/** Bytes that look like protocol traffic: tokens, specials, CR/LF, NUL, 8-bit, literal markers. */
export function protocolBytes(words: readonly string[]): fc.Arbitrary<Buffer> {
  const piece = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...words) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ' ',
        '\r\n',
        '\n',
        '\r',
        '"',
        '\\',
        '(',
        ')',
        '[',
        ']',
        '{',
        '}',
        '*',
        '%',
        '~',
        '+',
        '<',
        '>',
        ':',
        '.',
        '\0',
      ),
    },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 1 << 20 }).map((n) => `{${n}}\r\n`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '{4294967296}\r\n',
        '{99999999999999+}\r\n',
        '~{5}\r\n',
        '{0}\r\n',
        '{-1}\r\n',
      ),
    },
    { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u).toString('latin1')) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20000 }).map((n) => 'x'.repeat(n)) },
  );
  return fc.array(piece, { maxLength: 60 }).map((xs) => Buffer.from(xs.join(''), 'latin1'));
}

/** Splits bytes into chunks at the given cut points (so parsers see every kind of split). */
export function chunksOf(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    if (p > at) out.push(buf.subarray(at, p));
    at = Math.max(at, p);
  }
  if (at < buf.length) out.push(buf.subarray(at));
  return out;
}

const smallestFailure = new Map<string, Buffer>();

/**
 * Runs `fn` on `input`; when it throws and MAILSTEAD_FUZZ_RECORD=1 (the long run sets it), the
 * smallest failing input of this target is added to its corpus when the process exits, so that it
 * becomes a regression input for every later run.
 */
export function guard<T>(target: string, input: Buffer, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    remember(target, input);
    throw e;
  }
}

/**
 * For targets with state (a running server), the first failing input is kept, not the smallest: once
 * the server is down every shrunk input "fails" too.
 */
export async function guardAsync<T>(target: string, input: Buffer, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    remember(target, input, true);
    throw e;
  }
}

function remember(target: string, input: Buffer, keepFirst = false): void {
  if (process.env.MAILSTEAD_FUZZ_RECORD !== '1') return;
  const old = smallestFailure.get(target);
  if (!old || (!keepFirst && input.length < old.length)) smallestFailure.set(target, Buffer.from(input));
  if (smallestFailure.size === 1 && !old) process.once('exit', writeFailures);
}

function writeFailures(): void {
  for (const [target, input] of smallestFailure) {
    const file = join(CORPUS, `${target}.json`);
    const list = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : [];
    const b64 = input.toString('base64');
    if (!list.includes(b64)) list.push(b64);
    writeFileSync(file, JSON.stringify(list, null, 2) + '\n');
  }
}
