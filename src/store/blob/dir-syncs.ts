// fsync of directories, shared between concurrent callers: whoever asks while a sync of the same
// directory is running cannot rely on it (it may have started before the caller's rename), so
// everyone who asks meanwhile shares the next one. N puts into one directory cost about two syncs.
import { open } from 'node:fs/promises';

interface PerDir {
  running: Promise<void> | undefined;
  next: Promise<void> | undefined;
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class DirSyncs {
  readonly #dirs = new Map<string, PerDir>();

  /** Resolves once every entry made in `dir` before the call is on stable storage. */
  sync(dir: string): Promise<void> {
    let d = this.#dirs.get(dir);
    if (d === undefined) {
      d = { running: undefined, next: undefined };
      this.#dirs.set(dir, d);
    }
    const state = d;
    if (state.running === undefined) {
      state.running = fsyncPath(dir).finally(() => {
        state.running = undefined;
        if (state.next === undefined && this.#dirs.get(dir) === state) this.#dirs.delete(dir);
      });
      return state.running;
    }
    state.next ??= state.running
      .catch(() => undefined)
      .then(() => {
        state.next = undefined;
        return this.sync(dir);
      });
    return state.next;
  }
}
