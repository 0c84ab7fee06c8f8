// Pruning QRESYNC tombstones on both engines: exact answers above the floor, a superset (every absent
// UID) below it, never a UID that still exists, and the floor only ever rises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import * as admin from '../../core/directory/admin.js';
import { requireFolder } from '../../core/mailbox/folders.js';
import { appendMessage, expungeMessages } from '../../core/mailbox/messages.js';

for (const kind of ENGINES) {
  test(`QRESYNC tombstones (${kind}): pruned by age, superset VANISHED below the floor`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const tc = await makeCore(kind);
    t.after(() => tc.close());
    const core = tc.core;
    const mail = core.store.mail;
    await admin.addDomain(core, 'ts.test');
    const acct = await admin.addAddress(core, 'u@ts.test', { password: 'pw-123456' });
    let box = await requireFolder(core, acct.addressId, 'INBOX');
    for (let i = 1; i <= 6; i++) await appendMessage(core, box, Buffer.from(`Subject: ${i}\r\n\r\n${i}\r\n`));
    box = (await mail.getMailboxById(box.id))!;
    const m0 = box.highestModseq;
    await expungeMessages(core, box, [2, 4]);
    const m1 = (await mail.getMailboxById(box.id))!.highestModseq;
    assert.deepEqual(await mail.expungedSince(box.id, m0), [2, 4]);

    assert.equal(await mail.pruneTombstones(Date.now() - 3600_000), 0, 'nothing is that old');
    assert.deepEqual(await mail.expungedSince(box.id, m0), [2, 4]);

    assert.equal(await mail.pruneTombstones(Date.now() + 1000), 2);
    // A client that knew the expunge: nothing to say.
    assert.deepEqual(await mail.expungedSince(box.id, m1), []);
    // A client from before it: every absent UID below UIDNEXT (here exactly the two).
    assert.deepEqual(await mail.expungedSince(box.id, m0), [2, 4]);
    assert.deepEqual(await mail.expungedSince(box.id, 0), [2, 4]);

    // A later expunge is exact above the floor, and the superset below it includes it.
    await expungeMessages(core, box, [5]);
    const box2 = (await mail.getMailboxById(box.id))!;
    assert.deepEqual(await mail.expungedSince(box.id, m1), [5]);
    assert.deepEqual(await mail.expungedSince(box.id, m0), [2, 4, 5]);
    await appendMessage(core, box2, Buffer.from('Subject: 7\r\n\r\n7\r\n'));
    const present = await mail.listUids(box.id);
    assert.deepEqual(present, [1, 3, 6, 7]);
    for (const u of await mail.expungedSince(box.id, 0)) assert.ok(!present.includes(u), `UID ${u} exists`);

    // Pruning again raises the floor to the newest forgotten expunge; it never lowers it.
    assert.equal(await mail.pruneTombstones(Date.now() + 1000), 1);
    assert.deepEqual(await mail.expungedSince(box.id, m1), [2, 4, 5], 'below the new floor: the superset');
    assert.deepEqual(await mail.expungedSince(box.id, box2.highestModseq), []);
    assert.equal(await mail.pruneTombstones(Date.now() + 1000), 0);
    assert.deepEqual(await mail.expungedSince(box.id, m1), [2, 4, 5]);
  });
}
