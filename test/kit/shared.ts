// Where the project's shared/ folder (conformance data) is: $MAILSTEAD_SHARED_DIR, else beside the
// repository (../shared, as CI lays it out), else beside the checkout this clone came from (a clone
// made with `git clone /path/to/repo` keeps that path as its origin).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

export function findSharedDir(repoRoot: string): string | undefined {
  const candidates: string[] = [];
  const env = process.env['MAILSTEAD_SHARED_DIR'];
  if (env) candidates.push(resolve(env));
  candidates.push(resolve(repoRoot, '..', 'shared'));
  try {
    const origin = execFileSync('git', ['-C', repoRoot, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
    }).trim();
    const path = origin.replace(/^file:\/\//, '');
    if (isAbsolute(path)) candidates.push(resolve(dirname(path), 'shared'));
  } catch {
    /* not a git checkout, or no origin */
  }
  return candidates.find((c) => existsSync(resolve(c, 'conformance')));
}
