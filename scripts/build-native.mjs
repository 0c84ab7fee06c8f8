#!/usr/bin/env node
// Builds the native TLS front (native/tls-front) at `npm install` / `npm ci`, with the node-gyp that
// ships with npm and the headers of the Node that runs this script (no download). A machine without
// a C++ compiler still installs: the build failure is reported, and `tls.engine = "auto"` then uses
// Node's own TLS. MAILSTEAD_REQUIRE_NATIVE=1 makes a failed build fail the install instead (CI).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'native', 'tls-front');
const required = process.env.MAILSTEAD_REQUIRE_NATIVE === '1';

function giveUp(why) {
  console.log(`mailstead: native TLS front not built (${why}); tls.engine = "auto" will use Node's TLS`);
  process.exit(required ? 1 : 0);
}

// npm tells its lifecycle scripts where its node-gyp is; otherwise look next to this Node's npm.
const gyp = [
  process.env.npm_config_node_gyp,
  join(
    dirname(process.execPath),
    '..',
    'lib',
    'node_modules',
    'npm',
    'node_modules',
    'node-gyp',
    'bin',
    'node-gyp.js',
  ),
].find((p) => p && existsSync(p));
if (!gyp) giveUp('node-gyp not found');

// Node's own headers (they include OpenSSL's): an installed Node has them under <prefix>/include/node.
const prefix = join(dirname(process.execPath), '..');
const args = [gyp, 'rebuild', `--directory=${dir}`];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
if (r.status !== 0) {
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n');
  // The lines that say why (no compiler, no headers), not node-gyp's whole trace.
  const reason = out
    .filter((l) => /error|not found|No such file/i.test(l))
    .slice(0, 3)
    .join(' | ');
  giveUp(reason || `node-gyp exited ${r.status ?? r.signal}`);
}
console.log('mailstead: native TLS front built (native/tls-front/build/Release/tls_front.node)');
