// One maintenance round on both engines with the real file blob store: stale temporary files of
// interrupted blob writes go (fresh ones stay), finished queue rows and change feed rows go once
// past their retention, and a failing step does not stop the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import * as admin from '../directory/admin.js';
import { requireFolder } from '../mailbox/folders.js';
import { appendMessage } from '../mailbox/messages.js';
import { enqueue } from '../queue/enqueue.js';
import { Maintenance } from './maintenance.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

for (const kind of ENGINES) {
  test(`maintenance (${kind}): temporaries, finished queue rows, change feed`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const clock = { now: Date.now() };
    const tc = await makeCore(kind, { now: () => clock.now });
    t.after(() => tc.close());
    const core = tc.core;
    await admin.addDomain(core, 'hk.test');
    const acct = await admin.addAddress(core, 'u@hk.test', { password: 'pw-123456' });
    const inbox = await requireFolder(core, acct.addressId, 'INBOX');
    const m = await appendMessage(core, inbox, Buffer.from('Subject: kept\r\n\r\nbody\r\n'));

    // Two temporary files of interrupted writes: one two hours old, one just made.
    const shard = join(tc.dataDir, 'blobs', 'ab', 'cd');
    mkdirSync(shard, { recursive: true });
    const old = `.${'ab' + 'cd' + '0'.repeat(60)}.0a1b2c.tmp`;
    const fresh = `.${'ab' + 'cd' + '1'.repeat(60)}.3d4e5f.tmp`;
    writeFileSync(join(shard, old), 'partial');
    writeFileSync(join(shard, fresh), 'partial');
    const twoHoursAgo = new Date(clock.now - 2 * HOUR);
    utimesSync(join(shard, old), twoHoursAgo, twoHoursAgo);
    writeFileSync(join(shard, 'README'), 'not ours');

    await enqueue(core, {
      sender: 'u@hk.test',
      recipients: ['far@remote.test'],
      raw: Buffer.from('Subject: q\r\n\r\nq\r\n'),
    });
    const [row] = await core.store.queue.lease('w', clock.now, 60_000, 10);
    assert.ok(row);
    assert.equal(await core.store.queue.finish(row.id, 'w', { status: 'delivered' }), true);

    const hk = new Maintenance(core, { mailLogRetentionDays: 20, blobSettleMs: 0 });
    const r1 = await hk.run();
    assert.deepEqual(r1.failed, []);
    assert.equal(r1.temporariesRemoved, 1);
    assert.deepEqual(readdirSync(shard).sort(), [fresh, 'README'].sort());
    assert.equal(r1.queuePurged, 0, 'a row finished just now is kept');
    assert.equal(r1.changesPruned, 0);
    assert.equal(r1.blobs?.deleted, 0);

    clock.now += 8 * DAY;
    const r2 = await hk.run();
    assert.deepEqual(r2.failed, []);
    assert.equal(r2.queuePurged, 1);
    assert.ok((r2.changesPruned ?? 0) >= 1, 'the append change is past the feed retention');
    // The delivered row's body was first seen unreferenced by the first round, over the grace
    // period ago: collected now. The message's body stays.
    assert.equal(r2.blobs?.deleted, 1);
    assert.equal(r2.blobs?.scanned, 2);
    assert.ok((await core.store.blobs.get(m.message.blobHash)).length > 0, 'the message body stays');

    // A failing step is reported and the others still run.
    const broken = new Maintenance(
      {
        ...core,
        store: Object.create(core.store, {
          kv: { value: { purgeExpired: () => Promise.reject(new Error('boom')) } },
        }),
      },
      { mailLogRetentionDays: 20, blobSettleMs: 0 },
    );
    const r4 = await broken.run();
    assert.deepEqual(r4.failed, ['kv']);
    assert.ok(r4.blobs, 'the blob step ran after the failed one');
  });
}
