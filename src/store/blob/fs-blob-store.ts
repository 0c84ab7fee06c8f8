// Content-addressed blobs on the filesystem: <dir>/ab/cd/<sha256hex>.
// A blob is durable before put() returns (a message row may reference it right after): the bytes are
// written to a temporary file in the final directory, fsynced, renamed into place, and the directory
// fsynced so the new name survives a crash. A name that exists is never rewritten, so a reader never
// sees a partial file and concurrent writers of the same content are harmless.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../ports.js';

const HASH = /^[0-9a-f]{64}$/;
const SHARD = /^[0-9a-f]{2}$/;

function isMissing(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'ENOENT';
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class FsBlobStore implements BlobStore {
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
    if (await this.has(hash)) return { hash, size };

    const dir = this.dirOf(hash);
    const firstCreated = await mkdir(dir, { recursive: true });
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
    await fsyncPath(dir);
    // Freshly made shard directories are themselves new entries in their parents.
    if (firstCreated !== undefined) {
      await fsyncPath(join(this.dir, hash.slice(0, 2)));
      await fsyncPath(this.dir);
    }
    return { hash, size };
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

  private async entries(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort();
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  }
}
