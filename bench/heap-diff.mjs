#!/usr/bin/env node
// Compares V8 heap snapshots by constructor: count and self size of each (node type, name) in each
// snapshot, sorted by growth from the first to the last. A leak shows as a constructor whose count
// keeps climbing from snapshot to snapshot; a bounded cache climbs and then stops.
//
//   node bench/heap-diff.mjs A.heapsnapshot B.heapsnapshot [C ...] [--top 40]
// (`npm run bench -- load --heap-snapshots 4` writes such snapshots during the load.)
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topIdx = args.indexOf('--top');
const top = topIdx >= 0 ? Number(args.splice(topIdx, 2)[1]) : 40;
if (args.length < 2) {
  console.error('usage: node bench/heap-diff.mjs A.heapsnapshot B.heapsnapshot [...] [--top N]');
  process.exit(2);
}

/** Map "type:name" -> { count, size } for one snapshot. */
function summarize(file) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[0];
  const nf = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const nodes = snap.nodes;
  const strings = snap.strings;
  const out = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += nf) {
    const type = types[nodes[i + iType]];
    let name = strings[nodes[i + iName]];
    // Strings and numbers are named by their content: group them by type only.
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' || type === 'heap number')
      name = '';
    else if (name.length > 60) name = name.slice(0, 57) + '...';
    const key = `${type}:${name}`;
    const size = nodes[i + iSize];
    total += size;
    const e = out.get(key);
    if (e) {
      e.count++;
      e.size += size;
    } else out.set(key, { count: 1, size });
  }
  return { out, total, nodes: nodes.length / nf };
}

const sums = args.map((f) => {
  const s = summarize(f);
  console.log(`${f}: ${s.nodes} nodes, ${(s.total / 2 ** 20).toFixed(1)} MB self size`);
  return s;
});
const first = sums[0].out;
const last = sums[sums.length - 1].out;
const keys = new Set([...first.keys(), ...last.keys()]);
const rows = [...keys].map((k) => ({
  k,
  grow: (last.get(k)?.size ?? 0) - (first.get(k)?.size ?? 0),
  cells: sums.map((s) => s.out.get(k) ?? { count: 0, size: 0 }),
}));
rows.sort((a, b) => b.grow - a.grow);
console.log(`\ngrowth first -> last, top ${top} (count / kB per snapshot):`);
for (const r of rows.slice(0, top)) {
  console.log(
    `${(r.grow / 1024).toFixed(0).padStart(8)} kB  ${r.k.padEnd(62)} ${r.cells.map((c) => `${c.count}/${(c.size / 1024).toFixed(0)}`).join('  ')}`,
  );
}
