// Runs the shared Sieve conformance data in-process and pins the pass counts, so any
// regression fails CI. The shared directory sits beside the repository (../shared; see test/kit/shared.ts).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { runTestsuitePaths, sieveRunToString } from './sieve-command.js';
import { findSharedDir } from '../../test/kit/shared.js';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const shared = resolve(findSharedDir(repoRoot) ?? resolve(repoRoot, '..', 'shared'), 'conformance', 'sieve');

// Figures from test/conformance/PIGEONHOLE.md; raise them when conformance improves.
const DIFFERENTIAL_PASS = 127;
const PIGEONHOLE_MIN_PASS = 607;

function requireShared(): void {
  assert.ok(
    existsSync(shared),
    `conformance data missing: expected ${shared} (clone shared/ beside the repo)`,
  );
}

function envelopeOf(dir: string): { from: string; to: string } {
  const env = { from: 'sender@example.com', to: 'recipient@example.com' };
  const p = join(dir, 'envelope.txt');
  if (existsSync(p))
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      const m = /^\s*(from|to)\s*:\s*(.*?)\s*$/i.exec(line);
      if (m) env[m[1]!.toLowerCase() as 'from' | 'to'] = m[2]!;
    }
  return env;
}

test('differential corpus matches the Pigeonhole reference', async () => {
  requireShared();
  const corpus = join(shared, 'differential');
  const compare = (await import(pathToFileURL(join(corpus, 'compare.mjs')).href)) as {
    compareResults(expected: string, actual: string): string[];
  };
  const cases = readdirSync(corpus, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(corpus, d.name, 'expected.txt')))
    .map((d) => d.name)
    .sort();
  const failures: string[] = [];
  for (const name of cases) {
    const dir = join(corpus, name);
    const env = envelopeOf(dir);
    const { output } = await sieveRunToString({
      from: env.from,
      to: env.to,
      mailboxes: join(dir, 'mailboxes.txt'),
      includeDir: join(dir, 'include'),
      script: join(dir, 'script.sieve'),
      message: join(dir, 'message.eml'),
    });
    const problems = compare.compareResults(readFileSync(join(dir, 'expected.txt'), 'utf8'), output);
    if (problems.length) failures.push(`${name}: ${problems.join('; ')}`);
  }
  assert.deepEqual(failures, []);
  assert.equal(cases.length - failures.length, DIFFERENTIAL_PASS);
});

test('Pigeonhole testsuite pass count does not regress', () => {
  requireShared();
  let out = '';
  const { passed, failed } = runTestsuitePaths([join(shared, 'pigeonhole', 'tests')], (s) => {
    out += s;
  });
  assert.ok(
    passed >= PIGEONHOLE_MIN_PASS,
    `Pigeonhole: ${passed} passed, ${failed} failed (expected at least ${PIGEONHOLE_MIN_PASS})\n${out
      .split('\n')
      .filter((l) => l.includes('FAILED'))
      .join('\n')}`,
  );
});
