#!/usr/bin/env node
// `npm run bench -- NAME [options]`: one benchmark or reliability run. See bench/README.md.
const BENCHES = {
  crash: './crash.mjs',
  disk: './disk.mjs',
  smtp: './smtp.mjs',
  'smtp-source': './smtp-source.mjs',
  imap: './imap.mjs',
  'imap-idle': './imap-idle.mjs',
  'imap-select': './imap-select.mjs',
  'imap-rss': './imap-rss.mjs',
  'imap-stress': './imap-stress.mjs',
  'imap-rtt': './imap-rtt.mjs',
  sieve: './sieve.mjs',
  fuzz: './fuzz.mjs',
  load: './load.mjs',
  'blob-faults': './blob-faults.mjs',
  'blob-gc': './blob-gc.mjs',
};

const [name, ...rest] = process.argv.slice(2);
if (!name || !BENCHES[name]) {
  console.error(`usage: npm run bench -- ${Object.keys(BENCHES).join('|')} [options]  (see bench/README.md)`);
  process.exit(2);
}
const { snapshotBuild } = await import('./lib.mjs');
if (name !== 'fuzz') snapshotBuild();
const mod = await import(new URL(BENCHES[name], import.meta.url).href);
try {
  await mod.run(rest);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
}
// Sockets or timers a bench left behind must not keep the process alive.
setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
