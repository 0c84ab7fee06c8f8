// The long fuzz run: the seeded fuzzers of test/fuzz/ with many more runs and fresh seeds. Every
// failing input (the smallest one fast-check shrinks to) is added to test/fuzz/corpus/<target>.json,
// which `npm test` replays first from then on; commit it with the fix.
//
//   npm run bench -- fuzz [--runs 50] [--seeds 3] [--seed N]   (runs: multiplier of the npm test runs)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, ROOT } from './lib.mjs';

export async function run(argv) {
  const a = parseArgs(argv);
  const runs = Number(a.runs ?? 50);
  const seeds = a.seed !== undefined ? [Number(a.seed)] : Array.from({ length: Number(a.seeds ?? 3) }, () => Math.floor(Math.random() * 2 ** 31));
  const build = spawnSync('npx', ['tsc', '-b'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) console.warn(`tsc -b reported errors (running the last build):\n${build.stdout.slice(0, 2000)}`);
  const dir = join(ROOT, 'dist', 'test', 'fuzz');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => join(dir, f));
  let failed = 0;
  for (const seed of seeds) {
    console.log(`seed ${seed}, ${runs}x runs`);
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', ...files], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, MAILSTEAD_FUZZ_SEED: String(seed), MAILSTEAD_FUZZ_RUNS: String(runs), MAILSTEAD_FUZZ_RECORD: '1' },
    });
    if (r.status !== 0) {
      failed++;
      console.log(`seed ${seed} FAILED: reproduce with MAILSTEAD_FUZZ_SEED=${seed} MAILSTEAD_FUZZ_RUNS=${runs}; smallest inputs were added to test/fuzz/corpus/`);
    }
  }
  console.log(`${seeds.length - failed}/${seeds.length} seeds passed`);
  if (failed) process.exitCode = 1;
}
