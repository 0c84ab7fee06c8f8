// Cost of the blob collector (src/core/housekeeping/blob-gc.ts) on a store of N unreferenced bodies:
// the time of a scan that only marks, of a scan that deletes, and how long the event loop was held
// meanwhile (the server keeps serving during its hourly housekeeping). SQLite, one tier at a time:
// bodies up to store.inline_blob_max (100 KiB) are in the database, larger ones are files.
//
//   npm run bench -- blob-gc [--bodies 20000] [--size 3000] [--no-results]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { appendResults, BIN, fmt, parseArgs } from './lib.mjs';

export async function run(argv) {
  const a = parseArgs(argv);
  const n = Number(a.bodies ?? 20_000);
  const size = Number(a.size ?? 3000);
  const dist = join(dirname(BIN), '..', 'dist', 'src');
  const { openStore } = await import(join(dist, 'store', 'open.js'));
  const { BlobCollector } = await import(join(dist, 'core', 'housekeeping', 'blob-gc.js'));
  const dir = mkdtempSync(join(tmpdir(), 'ms-blobgc-'));
  const store = await openStore({ kind: 'sqlite', dataDir: dir });
  const rows = [];
  try {
    const pad = 'x'.repeat(size);
    for (let i = 0; i < n; i++) await store.blobs.put(Buffer.from(`Subject: ${i}\r\n\r\n${pad}`));
    const tier = store.blobs.joinsTransactions(size) ? 'inline (SQLite)' : 'files';
    const c = new BlobCollector(store.blobs, store, { graceMs: 0, settleMs: 0 });
    for (const label of ['scan, marks only', 'scan and delete']) {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      const t0 = performance.now();
      const r = await c.run();
      const ms = performance.now() - t0;
      h.disable();
      const row = { label, tier, ms, deleted: r.deleted, max: h.max / 1e6, p99: h.percentile(99) / 1e6 };
      rows.push(row);
      console.log(`${label}: ${n} bodies of ${size} bytes (${tier}), ${fmt(ms, 0)} ms, deleted ${r.deleted}, event-loop delay max ${fmt(row.max)} ms, p99 ${fmt(row.p99)} ms`);
    }
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (!a['no-results'])
    appendResults('blob-gc', [
      `\`npm run bench -- blob-gc --bodies ${n} --size ${size}\`: the blob collector over ${n} unreferenced bodies of ${size} bytes on SQLite (${rows[0].tier}), no grace period; event-loop delay measured meanwhile.`,
      '',
      '| run | time | deleted | event-loop delay max / p99 |',
      '|---|---|---|---|',
      ...rows.map((r) => `| ${r.label} | ${fmt(r.ms, 0)} ms | ${r.deleted} | ${fmt(r.max)} / ${fmt(r.p99)} ms |`),
    ]);
}
