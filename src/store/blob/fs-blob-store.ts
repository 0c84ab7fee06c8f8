// Content-addressed blobs on the filesystem: <dir>/ab/cd/<sha256hex>.
// A blob is durable before put() returns (a message row may reference it right after): the bytes are
// written to a temporary file in the final directory, fsynced, renamed into place, and the directory
// fsynced so the new name survives a crash. A name that exists is never rewritten, so a reader never
// sees a partial file and concurrent writers of the same content are harmless.
// Directory fsyncs are shared: a put that needs a directory synced while another put's sync of it is
// running waits for the next one, which serves every put waiting by then (deliveries arriving
// together into new shard directories all need their common parents synced).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../ports.js';
import { DirSyncs } from './dir-syncs.js';

const HASH = /^[0-9a-f]{64}$/;
const SHARD = /^[0-9a-f]{2}$/;
/** `.<hash>.<random>.tmp`, as write() names its temporary files. */
const TEMP = /^\.[0-9a-f]{64}\.[0-9a-f]+\.tmp$/;

function isMissing(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'ENOENT';
}

export class FsBlobStore implements BlobStore {
  readonly #dirSyncs = new DirSyncs();
  /** Shard directories just created, until their parents are synced (see put). */
  readonly #creating = new Map<string, Promise<void>>();
  /** Puts still writing or syncing, by hash: the same content arriving meanwhile waits for it
   * rather than trusting a name that exists but may not be durable yet. */
  readonly #writing = new Map<string, Promise<void>>();

  /** Shard directories known to exist with their entries synced: no mkdir for them. */
  readonly #knownDirs = new Set<string>();

  constructor(readonly dir: string) {}

  private dirOf(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash.slice(2, 4));
  }

  private pathOf(hash: string): string {
    // The hash becomes a path: anything but 64 hex digits could walk out of the store.
    if (!HASH.test(hash)) throw new Error(`invalid blob hash: ${JSON.stringify(hash)}`);
    return join(this.dirOf(hash), hash);
  }

  async put(data: Uint8Array): Promise<{ hash: string; size: number }> {
    const hash = createHash('sha256').update(data).digest('hex');
    const size = data.byteLength;
    const final = this.pathOf(hash);
    const writing = this.#writing.get(hash);
    if (writing !== undefined) {
      await writing;
      return { hash, size };
    }
    if (await this.has(hash)) return { hash, size };
    const done = this.write(hash, data, final)
      .catch((e: unknown) => {
        // A shard directory removed behind our back: make it again, once.
        if (!isMissing(e)) throw e;
        this.#knownDirs.delete(this.dirOf(hash));
        return this.write(hash, data, final);
      })
      .finally(() => {
        if (this.#writing.get(hash) === done) this.#writing.delete(hash);
      });
    this.#writing.set(hash, done);
    await done;
    return { hash, size };
  }

  private async write(hash: string, data: Uint8Array, final: string): Promise<void> {
    const dir = this.dirOf(hash);
    let created: Promise<void> | undefined;
    if (!this.#knownDirs.has(dir)) {
      const firstCreated = await mkdir(dir, { recursive: true });
      if (firstCreated !== undefined) {
        // Fresh shard directories are new entries in their parents: those are synced too.
        const top = join(this.dir, hash.slice(0, 2));
        created = (
          firstCreated === dir
            ? this.#dirSyncs.sync(top)
            : Promise.all([this.#dirSyncs.sync(top), this.#dirSyncs.sync(this.dir)]).then(() => undefined)
        ).finally(() => {
          if (this.#creating.get(dir) === created) this.#creating.delete(dir);
        });
        this.#creating.set(dir, created);
        created.catch(() => undefined);
      }
    }
    const tmp = join(dir, `.${hash}.${randomBytes(6).toString('hex')}.tmp`);
    const fh = await open(tmp, 'wx', 0o640);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await fh.close();
    try {
      await rename(tmp, final);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await this.#dirSyncs.sync(dir);
    // Also when another put created the directory and is still syncing its parents.
    await (created ?? this.#creating.get(dir));
    this.#knownDirs.add(dir);
  }

  joinsTransactions(): boolean {
    return false;
  }

  async get(hash: string): Promise<Buffer> {
    return readFile(this.pathOf(hash));
  }

  async has(hash: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(hash))).isFile();
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async delete(hash: string): Promise<void> {
    try {
      await unlink(this.pathOf(hash));
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  }

  async *list(): AsyncIterable<string> {
    for (const a of await this.entries(this.dir)) {
      if (!SHARD.test(a)) continue;
      for (const b of await this.entries(join(this.dir, a))) {
        if (!SHARD.test(b)) continue;
        for (const name of await this.entries(join(this.dir, a, b))) {
          // Temporary files start with '.', and a file in the wrong shard is not ours.
          if (HASH.test(name) && name.startsWith(a + b)) yield name;
        }
      }
    }
  }

  /**
   * Removes temporary files of writes that never finished (a crash between open and rename) once
   * they are older than `olderThanMs` — a write in progress is seconds old, never that old.
   * Returns how many were removed.
   */
  async removeStaleTemporaries(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const a of await this.entries(this.dir)) {
      if (!SHARD.test(a)) continue;
      for (const b of await this.entries(join(this.dir, a))) {
        if (!SHARD.test(b)) continue;
        const shard = join(this.dir, a, b);
        for (const name of await this.entries(shard)) {
          if (!TEMP.test(name)) continue;
          try {
            if (now - (await stat(join(shard, name))).mtimeMs < olderThanMs) continue;
            await unlink(join(shard, name));
            removed++;
          } catch (e) {
            if (!isMissing(e)) throw e;
          }
        }
      }
    }
    return removed;
  }

  private async entries(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort();
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }
}
