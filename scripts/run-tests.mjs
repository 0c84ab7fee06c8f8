#!/usr/bin/env node
// Runs every compiled *.test.js under dist/ with node's own test runner.
// Usage: node scripts/run-tests.mjs [substring-filter...]
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(relative(root, p));
  }
}
walk(join(root, 'dist', 'src'));
walk(join(root, 'dist', 'test'));
const chosen = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (chosen.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const tap = join(tmpdir(), `mailstead-tests-${process.pid}.tap`);
const r = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...chosen,
  ],
  // MAILSTEAD_CHECK_TX: a top-level store call inside store.transaction() throws instead of waiting
  // for the connection the transaction holds (the servers the e2e tests start inherit it).
  { cwd: root, stdio: 'inherit', env: { ...process.env, MAILSTEAD_CHECK_TX: '1' } },
);
// One plain closing line, whatever the reporter prints.
const summary = readFileSync(tap, 'utf8');
const count = (k) => Number([...summary.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].pop()?.[1] ?? 0);
console.log(`${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
rmSync(tap, { force: true });
process.exit(r.status ?? 1);
