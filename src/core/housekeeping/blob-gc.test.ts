// The blob collector on both engines with the real file blob store: what it deletes (expunged
// messages' bodies, crash leftovers) only after the grace period, what it never deletes (bodies of
// messages and of queued rows, bodies written whose row is not committed yet), and the put-back of a
// body that a writer re-used (same content) while it was being deleted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore, type TestCore } from '../../../test/kit/core.js';
import * as admin from '../directory/admin.js';
import { requireFolder } from '../mailbox/folders.js';
import { appendMessage, expungeMessages } from '../mailbox/messages.js';
import { enqueue } from '../queue/enqueue.js';
import { BlobCollector } from './blob-gc.js';
import type { Dialect } from '../../store/ports.js';

const HOUR = 3600_000;

function raw(tag: string, size: number): Buffer {
  const head = `From: <a@remote.test>\r\nTo: <u@gc.test>\r\nSubject: ${tag}\r\nMessage-ID: <${tag}@remote.test>\r\n\r\n`;
  return Buffer.from(head + 'x'.repeat(Math.max(0, size - head.length)) + '\r\n');
}

async function hashes(tc: TestCore): Promise<string[]> {
  const out: string[] = [];
  for await (const h of tc.core.store.blobs.list()) out.push(h);
  return out.sort();
}

async function setup(t: TestContext, kind: Dialect) {
  const clock = { now: Date.now() };
  const tc = await makeCore(kind, { now: () => clock.now });
  t.after(() => tc.close());
  await admin.addDomain(tc.core, 'gc.test');
  const acct = await admin.addAddress(tc.core, 'u@gc.test', { password: 'pw-123456' });
  const inbox = await requireFolder(tc.core, acct.addressId, 'INBOX');
  const sleeps: number[] = [];
  const gc = (settle?: (ms: number) => Promise<void>) =>
    new BlobCollector(tc.core.store.blobs, tc.core.store, {
      graceMs: HOUR,
      settleMs: 5000,
      now: () => clock.now,
      sleep:
        settle ??
        (async (ms) => {
          sleeps.push(ms);
        }),
    });
  return { tc, clock, inbox, gc, sleeps };
}

// Bodies up to store.inline_blob_max (100 KiB by default) live in the database, larger ones in files:
// every case runs on both tiers.
for (const [tier, size] of [
  ['inline', 2000],
  ['files', 200_000],
] as const)
  for (const kind of ENGINES) {
    test(`blob GC (${kind}, ${tier}): collects expunged bodies and crash leftovers only after the grace period`, async (t) => {
      if (!(await engineAvailable(t, kind))) return;
      const { tc, clock, inbox, gc } = await setup(t, kind);
      const kept = await appendMessage(tc.core, inbox, raw('kept', size));
      const gone = await appendMessage(tc.core, inbox, raw('gone', size));
      // The same body twice in the folder: one expunge must not free it.
      const shared = await appendMessage(tc.core, inbox, raw('shared', size));
      await appendMessage(tc.core, inbox, raw('shared', size));
      // A crash leftover: a body written whose row never committed.
      const orphan = await tc.core.store.blobs.put(raw('orphan', size));
      // A body only a queued outbound row refers to.
      await enqueue(tc.core, {
        sender: 'u@gc.test',
        recipients: ['far@remote.test'],
        raw: raw('queued', size),
      });
      const queued = (await tc.core.store.queue.list())[0]!.blobHash;
      await expungeMessages(tc.core, inbox, [gone.uid, shared.uid]);

      const collector = gc();
      const first = await collector.run();
      assert.equal(first.deleted, 0, 'nothing is deleted at the first sight');
      assert.equal(first.young, 2, 'the expunged body and the orphan wait for the grace period');
      clock.now += HOUR / 2;
      assert.equal((await collector.run()).deleted, 0, 'still within the grace period');
      clock.now += HOUR / 2 + 1;
      const third = await collector.run();
      assert.equal(third.deleted, 2);
      assert.equal(third.restored, 0);
      const left = await hashes(tc);
      assert.deepEqual(left, [kept.message.blobHash, shared.message.blobHash, queued].sort());
      assert.ok(!left.includes(gone.message.blobHash) && !left.includes(orphan.hash));
      // Every remaining row still reads its body.
      for (const h of left) assert.ok((await tc.core.store.blobs.get(h)).length > 0);
    });

    test(`blob GC (${kind}, ${tier}): a body whose row commits after the first scan is never collected`, async (t) => {
      if (!(await engineAvailable(t, kind))) return;
      const { tc, clock, inbox, gc } = await setup(t, kind);
      const collector = gc();
      // appendMessage writes the body, then commits the row: the scan falls in between.
      const body = raw('late', size);
      const blob = await tc.core.store.blobs.put(body);
      assert.equal((await collector.run()).young, 1);
      const m = await appendMessage(tc.core, inbox, body);
      assert.equal(m.message.blobHash, blob.hash);
      clock.now += 2 * HOUR;
      const r = await collector.run();
      assert.equal(r.deleted, 0);
      assert.deepEqual(await hashes(tc), [blob.hash]);
    });

    test(`blob GC (${kind}, ${tier}): a body re-used by a writer while it is deleted is put back`, async (t) => {
      if (!(await engineAvailable(t, kind))) return;
      const hook: { reuse?: () => Promise<void> } = {};
      const { tc, clock, inbox, gc } = await setup(t, kind);
      const body = raw('again', size);
      const first = await appendMessage(tc.core, inbox, body);
      await expungeMessages(tc.core, inbox, [first.uid]);
      // During the settle wait (after the delete), the same bytes are appended again: the writer's put()
      // ran before the delete and found the body present, its row commits now.
      const collector = gc(async () => {
        await hook.reuse?.();
      });
      await collector.run();
      clock.now += 2 * HOUR;
      hook.reuse = async () => {
        assert.equal(
          await tc.core.store.blobs.has(first.message.blobHash),
          false,
          'deleted before the settle',
        );
        await tc.core.store.transaction(async (tx) => {
          await tx.mail.appendMessage({
            mailboxId: inbox.id,
            blobHash: first.message.blobHash,
            size: body.length,
            internalDate: clock.now,
            flags: [],
          });
        });
      };
      const r = await collector.run();
      assert.equal(r.restored, 1);
      assert.equal(r.deleted, 0);
      assert.deepEqual(await tc.core.store.blobs.get(first.message.blobHash), body);
    });
  }
