// Group commit for SQLite: one fsync of the WAL file makes every commit written before it durable.
//
// The connection runs with synchronous=NORMAL, so COMMIT only write()s its WAL frames (SQLite still
// syncs the WAL before each checkpoint and the database file after it). The driver then asks
// `sync()` before the caller's promise settles. Callers that arrive while an fsync is running cannot
// use it (it may have started before their frames were written): they share the next one, so N
// concurrent commits cost about two fsyncs, and the fsync runs on libuv's thread pool instead of
// blocking the event loop the way SQLite's own FULL sync inside COMMIT does.
import { statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export class GroupFsync {
  #wal: { fh: FileHandle; ino: number } | undefined;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  #closed = false;

  /** `dbFile` is the database file; its WAL is `dbFile + '-wal'`. */
  constructor(private readonly dbFile: string) {}

  /** Resolves once everything written to the WAL before the call is on stable storage. */
  sync(): Promise<void> {
    if (this.#running === undefined) {
      this.#running = this.#fsync().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    // One fsync is running: wait for it, then start (or join) the one after it.
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.sync();
      });
    return this.#next;
  }

  async #fsync(): Promise<void> {
    const walPath = this.dbFile + '-wal';
    let ino: number;
    try {
      // Synchronous: a stat of a cached inode costs microseconds, a thread-pool round trip costs a
      // wake-up of another thread and of this one, which on a loaded machine is milliseconds per fsync.
      ino = statSync(walPath).ino;
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
      // No WAL (never written, or checkpointed and removed): the database file holds everything.
      await this.#syncFile(this.dbFile);
      return;
    }
    // The WAL is kept (reused from its start) while the connection is open; should it ever be
    // replaced, the handle on the old file would sync the wrong inode.
    if (this.#wal === undefined || this.#wal.ino !== ino) {
      await this.#wal?.fh.close().catch(() => undefined);
      this.#wal = undefined;
      const fh = await open(walPath, 'r');
      const opened = { fh, ino: (await fh.stat()).ino };
      if (this.#closed) {
        await fh.close();
        throw new Error('database closed');
      }
      this.#wal = opened;
      if (opened.ino !== ino) await this.#syncFile(this.dbFile);
    }
    await this.#wal.fh.datasync();
  }

  async #syncFile(path: string): Promise<void> {
    const fh = await open(path, 'r');
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#running?.catch(() => undefined);
    await this.#next?.catch(() => undefined);
    await this.#wal?.fh.close().catch(() => undefined);
    this.#wal = undefined;
  }
}
