// Garbage collection of message bodies nothing refers to any more (expunged messages, finished queue
// rows, bodies a crash left between their write and their row's commit). Written against the
// BlobStore port (list, get, delete, put) and the stores' reference queries, so it serves any blob
// tier (files, or bodies kept inline in SQL).
//
// A body is written before the row that refers to it commits, so "unreferenced right now" may mean
// "about to be referenced". Three guards keep that safe:
//  1. age: a body is collected only once it was seen unreferenced by an earlier scan at least
//     `graceMs` ago, and is still unreferenced now (a row commits milliseconds after its body);
//  2. the references are checked again right before each delete;
//  3. a writer whose put() found the body already present (content addressing: the same bytes
//     appended again) and commits its row after our re-check would lose its body. So the collector
//     reads each body before deleting it, waits `settleMs`, checks once more, and puts back every
//     body that became referenced meanwhile. Only a writer that stalls longer than `settleMs`
//     between its put() and its commit, at that very moment, could still meet a missing body.
import type { BlobStore, StoreRoles } from '../../store/ports.js';

export interface BlobGcOptions {
  /** How long a body must have been seen unreferenced before it is collected. */
  graceMs: number;
  /** Wait between deleting a batch and re-checking it (see 3 above). */
  settleMs: number;
  /** Bytes of deleted bodies held in memory per batch for the re-check. */
  batchBytes?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface BlobGcResult {
  scanned: number;
  referenced: number;
  /** Unreferenced, but first seen so less than `graceMs` ago: left for a later run. */
  young: number;
  deleted: number;
  deletedBytes: number;
  /** Deleted, then found referenced during the settle wait, and written back. */
  restored: number;
}

type Refs = Pick<StoreRoles, 'mail' | 'queue'>;

async function isReferenced(refs: Refs, hash: string): Promise<boolean> {
  return (await refs.mail.isBlobReferenced(hash)) || (await refs.queue.isBlobReferenced(hash));
}

const YIELD_EVERY = 100;
const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

// Unref'd: a collection waiting to settle must not hold a stopping server open.
const defaultSleep = (ms: number) =>
  ms <= 0 ? Promise.resolve() : new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * One collector per process: it remembers, between runs, since when each body has been seen
 * unreferenced (in memory: after a restart the grace period starts again, which only delays).
 */
export class BlobCollector {
  /** hash -> when a scan first found it unreferenced. */
  readonly #since = new Map<string, number>();
  #running = false;

  constructor(
    private readonly blobs: BlobStore,
    private readonly refs: Refs,
    private readonly opts: BlobGcOptions,
  ) {}

  async run(): Promise<BlobGcResult> {
    if (this.#running) throw new Error('blob collection already running');
    this.#running = true;
    try {
      return await this.#run();
    } finally {
      this.#running = false;
    }
  }

  async #run(): Promise<BlobGcResult> {
    const now = this.opts.now ?? Date.now;
    const sleep = this.opts.sleep ?? defaultSleep;
    const batchBytes = this.opts.batchBytes ?? 64 * 2 ** 20;
    const res: BlobGcResult = {
      scanned: 0,
      referenced: 0,
      young: 0,
      deleted: 0,
      deletedBytes: 0,
      restored: 0,
    };
    const scanAt = now();
    const due: string[] = [];
    const seen = new Set<string>();
    for await (const hash of this.blobs.list()) {
      res.scanned++;
      // SQLite answers synchronously: without this the whole scan would hold the event loop.
      if (res.scanned % YIELD_EVERY === 0) await yieldToEventLoop();
      seen.add(hash);
      if (await isReferenced(this.refs, hash)) {
        res.referenced++;
        this.#since.delete(hash);
        continue;
      }
      const since = this.#since.get(hash);
      if (since === undefined) this.#since.set(hash, scanAt);
      if (since === undefined || scanAt - since < this.opts.graceMs) res.young++;
      else due.push(hash);
    }
    // Forget bodies that disappeared by other means.
    for (const h of this.#since.keys()) if (!seen.has(h)) this.#since.delete(h);

    let batch: Array<{ hash: string; data: Buffer }> = [];
    let held = 0;
    const settle = async () => {
      if (batch.length === 0) return;
      await sleep(this.opts.settleMs);
      for (const { hash, data } of batch) {
        if (await isReferenced(this.refs, hash)) {
          await this.blobs.put(data);
          res.restored++;
          res.deleted--;
          res.deletedBytes -= data.length;
        }
      }
      batch = [];
      held = 0;
    };
    for (const [i, hash] of due.entries()) {
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      if (await isReferenced(this.refs, hash)) {
        this.#since.delete(hash);
        continue;
      }
      let data: Buffer;
      try {
        data = await this.blobs.get(hash);
      } catch {
        continue; // gone meanwhile
      }
      await this.blobs.delete(hash);
      this.#since.delete(hash);
      res.deleted++;
      res.deletedBytes += data.length;
      batch.push({ hash, data });
      held += data.length;
      if (held >= batchBytes) await settle();
    }
    await settle();
    return res;
  }
}
