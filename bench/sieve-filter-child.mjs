// One fresh Node process that filters a maildir with Mailstead's engine, the counterpart of one
// `sieve-filter` run (process start, engine load, compile, read and filter every message):
//   node bench/sieve-filter-child.mjs DIST_SIEVE_INDEX_JS SCRIPT MAILDIR
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { filterMaildir } from './sieve-workload.mjs';

const [engineJs, script, maildir] = process.argv.slice(2);
const engine = await import(pathToFileURL(engineJs).href);
const files = readdirSync(join(maildir, 'cur')).map((f) => join(maildir, 'cur', f));
const counts = filterMaildir(engine, readFileSync(script, 'utf8'), files, process.env.COUNT === '1');
if (process.env.COUNT === '1') console.log(JSON.stringify([...counts]));
