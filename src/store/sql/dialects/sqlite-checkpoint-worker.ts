// The checkpointer's thread (see sqlite-checkpointer.ts): its own connection, a PASSIVE checkpoint
// after `commits` commits or `maxDelayMs` after the first one not yet copied. Runs until 'stop'.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

const { file, counter, commits, maxDelayMs } = workerData as {
  file: string;
  counter: Int32Array;
  commits: number;
  maxDelayMs: number;
};

const POLL_MS = 25;
const db = new BetterSqlite3(file, { timeout: 10_000 });
db.pragma('synchronous = NORMAL');
// Caps what a burst leaves behind: when the WAL restarts, a longer file is truncated to this.
db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);

let done = 0;
let pendingSince = 0;

function checkpoint(): void {
  const seen = Atomics.load(counter, 0);
  if (seen === done) return;
  const now = Date.now();
  if (pendingSince === 0) pendingSince = now;
  if (((seen - done) | 0) < commits && now - pendingSince < maxDelayMs) return;
  db.pragma('wal_checkpoint(PASSIVE)');
  done = seen;
  pendingSince = 0;
}

const timer = setInterval(checkpoint, POLL_MS);

parentPort!.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try {
    checkpoint();
  } finally {
    db.close();
    parentPort!.close();
  }
});
