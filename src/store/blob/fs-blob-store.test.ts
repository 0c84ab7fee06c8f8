import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from './fs-blob-store.js';

function withStore(fn: (store: FsBlobStore, dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-blobs-'));
    try {
      await fn(new FsBlobStore(join(dir, 'blobs')), join(dir, 'blobs'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const h of it) out.push(h);
  return out;
}

describe('FsBlobStore', () => {
  test(
    'stores content under <dir>/ab/cd/<sha256> and reads it back',
    withStore(async (store, dir) => {
      const data = Buffer.from('Subject: hi\r\n\r\nbody\r\n');
      const { hash, size } = await store.put(data);
      assert.equal(hash, sha256(data));
      assert.equal(size, data.length);
      const path = join(dir, hash.slice(0, 2), hash.slice(2, 4), hash);
      assert.ok(statSync(path).isFile());
      assert.deepEqual(await store.get(hash), data);
      assert.equal(await store.has(hash), true);
      assert.deepEqual(
        readdirSync(join(dir, hash.slice(0, 2), hash.slice(2, 4))),
        [hash],
        'no temp file left',
      );
    }),
  );

  test(
    'is idempotent: the same content is written once and never rewritten',
    withStore(async (store, dir) => {
      const data = new TextEncoder().encode('same bytes');
      const first = await store.put(data);
      const path = join(dir, first.hash.slice(0, 2), first.hash.slice(2, 4), first.hash);
      const before = statSync(path);
      const again = await Promise.all([store.put(data), store.put(data), store.put(Buffer.from(data))]);
      for (const r of again) assert.deepEqual(r, first);
      const after = statSync(path);
      assert.equal(after.ino, before.ino);
      assert.equal(after.mtimeMs, before.mtimeMs);
      assert.deepEqual(await collect(store.list()), [first.hash]);
    }),
  );

  test(
    'writes concurrent puts of one new content safely',
    withStore(async (store) => {
      const data = Buffer.alloc(256 * 1024, 7);
      const results = await Promise.all(Array.from({ length: 8 }, () => store.put(data)));
      assert.ok(results.every((r) => r.hash === sha256(data)));
      assert.deepEqual(await store.get(sha256(data)), data);
    }),
  );

  test(
    'stores empty content',
    withStore(async (store) => {
      const { hash, size } = await store.put(new Uint8Array(0));
      assert.equal(size, 0);
      assert.equal(hash, sha256(new Uint8Array(0)));
      assert.equal((await store.get(hash)).length, 0);
    }),
  );

  test(
    'deletes, tolerating absent blobs',
    withStore(async (store) => {
      const { hash } = await store.put(Buffer.from('x'));
      await store.delete(hash);
      assert.equal(await store.has(hash), false);
      await assert.rejects(store.get(hash), { code: 'ENOENT' });
      await store.delete(hash);
      await store.delete('0'.repeat(64));
    }),
  );

  test(
    'lists every stored hash in order, ignoring anything else in the tree',
    withStore(async (store, dir) => {
      assert.deepEqual(await collect(store.list()), [], 'a store never written to lists nothing');
      const hashes: string[] = [];
      for (let i = 0; i < 20; i++) hashes.push((await store.put(Buffer.from(`blob ${i}`))).hash);
      const some = hashes[0]!;
      const shard = join(dir, some.slice(0, 2), some.slice(2, 4));
      writeFileSync(join(shard, `.${some}.abc.tmp`), 'partial');
      writeFileSync(join(shard, 'README'), 'not a blob');
      writeFileSync(join(shard, 'f'.repeat(64)), 'a blob in the wrong shard');
      mkdirSync(join(dir, 'zz'));
      writeFileSync(join(dir, 'stray'), '');
      assert.deepEqual(await collect(store.list()), [...hashes].sort());
    }),
  );

  test(
    'refuses hashes that are not 64 hex digits (no path traversal)',
    withStore(async (store) => {
      for (const bad of ['../../etc/passwd', 'ABCD'.repeat(16), 'a'.repeat(63), '', 'g'.repeat(64)]) {
        await assert.rejects(store.get(bad), /invalid blob hash/);
        await assert.rejects(store.has(bad), /invalid blob hash/);
        await assert.rejects(store.delete(bad), /invalid blob hash/);
      }
    }),
  );
});
