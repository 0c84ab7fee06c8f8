/**
 * Runs one Pigeonhole `.svtest` file the way Pigeonhole's `testsuite` tool does and
 * reports per-block results. File access comes through `TestsuiteIO`.
 */
import { posix } from 'node:path';
import { compile } from '../compiler.js';
import { tokenize } from '../lexer.js';
import { createRuntime, execute } from '../runtime/run.js';
import { SieveMessage } from '../runtime/message.js';
import type { IncludeAnswer, SieveEvent } from '../types.js';
import { createTestsuiteExtension, deriveEnvelope, mailboxName, TestFailSignal } from './extension.js';
import { DEFAULT_MESSAGE, TestsuiteState, type TestsuiteIO } from './state.js';

export type { TestsuiteIO };

export interface TestsuiteFileResult {
  readonly file: string;
  /** Number of test blocks (executed, or counted in the source when it did not run). */
  readonly blocks: number;
  readonly failed: number;
  /** Whether the test case passes (for expect-failure files: every block failed). */
  readonly pass: boolean;
  readonly output: string;
}

/** Count `test "…" {` blocks with the lexer (for files that fail before running). */
function countBlocks(source: string): number {
  try {
    const toks = tokenize(source);
    let n = 0;
    for (let i = 0; i + 2 < toks.length; i++) {
      const t = toks[i]!;
      if (
        t.type === 'identifier' &&
        t.value.toLowerCase() === 'test' &&
        toks[i + 1]!.type === 'string' &&
        toks[i + 2]!.type === '{'
      )
        n++;
    }
    return n;
  } catch {
    return 1;
  }
}

/** Prepare `.svtest.in` templates: we support UTF-8 mailbox names, so drop the markers. */
export function instantiateTemplate(source: string): string {
  return source.replace(/^#UTF8#/gm, '');
}

export function runTestsuiteFile(file: string, io: TestsuiteIO, expectFailure = false): TestsuiteFileResult {
  const bytes = io.readFile(file);
  let source = bytes ? Buffer.from(bytes).toString('utf8') : '';
  if (file.endsWith('.in')) source = instantiateTemplate(source);
  const dir = posix.dirname(file);
  const st = new TestsuiteState(file, dir, io);
  const ext = createTestsuiteExtension(st);
  const head = [`Test case: ${file}:`, ''];
  const compiled = compile(source, {
    name: posix.basename(file).replace(/\.svtest(\.in)?$/, ''),
    extensions: [ext],
    includeLoader: st.includeLoader,
  });
  if (!compiled.ok) {
    const blocks = Math.max(1, countBlocks(source));
    const errs = compiled.errors.map((e) => `${file}:${e.line}:${e.column}: error: ${e.message}`);
    const pass = expectFailure;
    return {
      file,
      blocks,
      failed: pass ? 0 : blocks,
      pass,
      output: [
        ...head,
        ...errs,
        pass ? 'PASS: failed to compile (expected to fail).' : 'FAIL: failed to compile testcase script',
        '',
      ].join('\n'),
    };
  }
  const msg = new SieveMessage(Buffer.from(DEFAULT_MESSAGE));
  const rt = createRuntime(msg, deriveEnvelope(msg), { ...st.options, extensions: [ext] });
  // The runtime keeps a reference to the options; reloads mutate st.options, so alias it.
  (rt as unknown as { options: unknown }).options = Object.assign(st.options, { extensions: [ext] });
  const seen = new Set<string>();
  const answer = (ev: SieveEvent): unknown => {
    switch (ev.type) {
      case 'mailbox-exists':
        return st.mailboxes.has(mailboxName(ev.mailbox));
      case 'special-use-exists':
        return false;
      case 'duplicate': {
        const had = seen.has(ev.id);
        seen.add(ev.id);
        return had;
      }
      case 'current-date':
        return new Date();
      case 'environment':
        return testEnvironment(ev.name);
      case 'metadata':
        return null;
      case 'include': {
        const sub = ev.location === 'global' ? 'included-global' : 'included';
        const path = posix.join(dir, sub, `${ev.name}.sieve`);
        const src = io.readFile(path);
        if (!src) return { ok: false, missing: true } satisfies IncludeAnswer;
        const r = compile(Buffer.from(src).toString('utf8'), {
          name: ev.name,
          extensions: [ext],
          limits: st.options.limits ?? {},
        });
        if (!r.ok)
          return {
            ok: false,
            missing: false,
            error: r.errors.map((e) => e.message).join('; '),
          } satisfies IncludeAnswer;
        return { ok: true, script: r.script } satisfies IncludeAnswer;
      }
    }
  };
  let aborted: string | undefined;
  try {
    const gen = execute(rt, compiled.script);
    let step = gen.next();
    while (!step.done) step = gen.next(answer(step.value));
    if (step.value === 'error') aborted = rt.errors[rt.errors.length - 1]?.message ?? 'execution failed';
  } catch (e) {
    if (e instanceof TestFailSignal) aborted = e.reason;
    else aborted = `internal error: ${(e as Error).stack ?? String(e)}`;
  }
  const lines = [...head, ...st.output];
  let blocks = st.blockNumber;
  let failed = st.failed;
  if (aborted !== undefined) {
    lines.push(`XX: Test CASE FAILED: ${aborted}`);
    // Blocks that never ran because the case aborted count as failed.
    const total = Math.max(countBlocks(source), blocks + 1);
    failed += total - blocks;
    blocks = total;
  }
  let pass: boolean;
  if (expectFailure) {
    pass = aborted !== undefined || failed === blocks;
    lines.push(
      pass
        ? `PASS: ${blocks} tests failed (expected to fail).`
        : `FAIL: Only ${failed} of ${blocks} tests failed (all expected to fail).`,
    );
    failed = pass ? 0 : blocks;
  } else {
    pass = aborted === undefined && failed === 0;
    lines.push(pass ? `PASS: ${blocks} tests succeeded.` : `FAIL: ${failed} of ${blocks} tests failed.`);
  }
  return { file, blocks, failed, pass, output: lines.join('\n') + '\n' };
}

function testEnvironment(name: string): string | null {
  switch (name) {
    case 'name':
      return 'Pigeonhole Sieve';
    case 'version':
      return '0.5';
    case 'domain':
      return 'example.com';
    case 'host':
      return 'localhost';
    case 'location':
      return 'MS';
    case 'phase':
      return 'post';
    default:
      return null;
  }
}
