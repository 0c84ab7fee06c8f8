// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside whichever COMMIT
// pushes the WAL past 1000 pages: that commit copies ~4 MB into the database file and fsyncs it on
// the server's only JavaScript thread, stalling every session meanwhile. The server turns automatic
// checkpoints off on its connection and this worker thread, with a connection of its own, runs
// PASSIVE checkpoints after enough commits (or a second after the last one): they never block the
// writer, and once one has copied everything, the next writer starts the WAL over from its
// beginning, so the file stays small.
import { Worker } from 'node:worker_threads';

export interface CheckpointerOptions {
  /** Checkpoint once this many commits happened since the last checkpoint... */
  commits?: number;
  /** ...or this long after the first commit not yet checkpointed. */
  maxDelayMs?: number;
}

export class BackgroundCheckpointer {
  readonly #worker: Worker;
  /** [0]: commits so far, counted here and read by the worker without messages. */
  readonly #counter = new Int32Array(new SharedArrayBuffer(4));
  #closed: Promise<void> | undefined;

  constructor(dbFile: string, opts: CheckpointerOptions = {}) {
    this.#worker = new Worker(new URL('./sqlite-checkpoint-worker.js', import.meta.url), {
      workerData: {
        file: dbFile,
        counter: this.#counter,
        commits: opts.commits ?? 100,
        maxDelayMs: opts.maxDelayMs ?? 1000,
      },
    });
    // The thread must not keep a process alive that is otherwise done.
    this.#worker.unref();
    this.#worker.on('error', (err) => {
      // Checkpoints only keep the WAL short: without them it grows until the connection closes
      // (SQLite checkpoints then). Nothing is lost; say so.
      process.emitWarning(`background WAL checkpoints stopped: ${err.message}`);
    });
  }

  /** A write transaction committed. */
  noteCommit(): void {
    Atomics.add(this.#counter, 0, 1);
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#worker.once('exit', () => resolve());
      // Held now: with nothing else left in the loop the process would quit before the thread did.
      this.#worker.ref();
      this.#worker.postMessage('stop');
      // A checkpoint in progress finishes first; a hung one is not worth waiting for forever.
      setTimeout(() => void this.#worker.terminate(), 5000).unref();
    });
    return this.#closed;
  }
}
