// The one recipient-resolution function, exhaustively, on both engines: a wrong answer here routes
// a message to the wrong mailbox, so every case checks WHICH address id receives, not just "local".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import type { Core } from '../context.js';
import * as admin from './admin.js';
import { resolveRecipient, type Resolution } from './resolve.js';

async function idOf(core: Core, address: string): Promise<number> {
  const r = await resolveRecipient(core, address);
  assert.equal(r.kind, 'local', `${address} should be local, got ${r.kind}`);
  return (r as Extract<Resolution, { kind: 'local' }>).addressId;
}

async function local(core: Core, address: string): Promise<Extract<Resolution, { kind: 'local' }>> {
  const r = await resolveRecipient(core, address);
  assert.equal(r.kind, 'local', `${address}: ${JSON.stringify(r)}`);
  return r as Extract<Resolution, { kind: 'local' }>;
}

function mailboxIds(r: Extract<Resolution, { kind: 'local' }>): number[] {
  return r.targets.flatMap((t) => (t.kind === 'mailbox' ? [t.account.addressId] : []));
}

function forwards(r: Extract<Resolution, { kind: 'local' }>): string[] {
  return r.targets.flatMap((t) => (t.kind === 'forward' ? [t.to] : []));
}

for (const kind of ENGINES) {
  test(`recipient resolution (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const tc = await makeCore(kind);
    const { core } = tc;
    try {
      await admin.addDomain(core, 'a.test');
      await admin.linkDomain(core, 'a.test', 'b.test');
      await admin.addDomain(core, 'c.test');
      await admin.addAddress(core, 'user1@a.test', { password: 'x' });
      await admin.addAddress(core, 'user2@a.test', { password: 'x' });
      await admin.addAddress(core, 'user1@c.test', { password: 'x' });
      const u1 = await idOf(core, 'user1@a.test');
      const u2 = await idOf(core, 'user2@a.test');
      const c1 = await idOf(core, 'user1@c.test');
      assert.equal(new Set([u1, u2, c1]).size, 3);

      await t.test('exact address, any case', async () => {
        const r = await local(core, 'USER1@A.Test');
        assert.equal(r.addressId, u1);
        assert.deepEqual(r.reasons, ['address']);
        assert.equal(r.canonical, 'user1@a.test');
        assert.deepEqual(mailboxIds(r), [u1]);
      });

      await t.test('a linked domain reaches the same mailbox, and only within its service', async () => {
        const r = await local(core, 'user1@b.test');
        assert.equal(r.addressId, u1);
        assert.deepEqual(r.reasons, ['linked-domain', 'address']);
        assert.equal(await idOf(core, 'user2@b.test'), u2);
        assert.equal((await resolveRecipient(core, 'user2@c.test')).kind, 'unknown');
      });

      await t.test('aliases deliver to their address', async () => {
        await admin.addAlias(core, 'sales@a.test', 'user2@a.test');
        const r = await local(core, 'Sales@b.test');
        assert.equal(r.addressId, u2);
        assert.deepEqual(r.reasons, ['linked-domain', 'alias']);
        assert.deepEqual(mailboxIds(r), [u2]);
      });

      await t.test('subaddresses keep their detail; a real address with "+" wins', async () => {
        const r = await local(core, 'user1+news@a.test');
        assert.equal(r.addressId, u1);
        assert.equal(r.detail, 'news');
        assert.deepEqual(r.reasons, ['subaddress', 'address']);
        const ra = await local(core, 'sales+q3@a.test');
        assert.equal(ra.addressId, u2);
        assert.deepEqual(ra.reasons, ['subaddress', 'alias']);
        await admin.addAddress(core, 'user1+special@a.test', { password: 'x' });
        const exact = await local(core, 'user1+special@a.test');
        assert.notEqual(exact.addressId, u1);
        assert.equal(exact.detail, null);
        assert.equal((await resolveRecipient(core, 'nobody+x@a.test')).kind, 'unknown');
      });

      await t.test('unknown, remote, invalid and relay tricks', async () => {
        assert.deepEqual(await resolveRecipient(core, 'nobody@a.test'), {
          kind: 'unknown',
          input: 'nobody@a.test',
          domain: 'a.test',
        });
        assert.equal((await resolveRecipient(core, 'user1@elsewhere.test')).kind, 'remote');
        for (const trick of [
          'user1%elsewhere.test@a.test',
          '"user1@elsewhere.test"@a.test',
          '@a.test:user1@elsewhere.test',
          'user1@elsewhere.test@a.test',
          'user1',
          '',
        ]) {
          assert.equal((await resolveRecipient(core, trick)).kind, 'invalid', trick);
        }
      });

      await t.test('catch-all takes only what nothing else takes', async () => {
        await admin.addAddress(core, 'catchall@c.test', { password: 'x' });
        const ca = await idOf(core, 'catchall@c.test');
        const r = await local(core, 'whoever@c.test');
        assert.equal(r.addressId, ca);
        assert.deepEqual(r.reasons, ['catch-all']);
        assert.equal(await idOf(core, 'user1@c.test'), c1);
        assert.equal(await idOf(core, 'user1+x@c.test'), c1);
        // a.test has no catch-all: still unknown there
        assert.equal((await resolveRecipient(core, 'whoever@a.test')).kind, 'unknown');
      });

      await t.test('redirection-only addresses forward and have no mailbox', async () => {
        await admin.setRedirect(core, 'info@a.test', ['x@elsewhere.test', 'user1@c.test']);
        const r = await local(core, 'info@b.test');
        assert.deepEqual(mailboxIds(r), []);
        assert.deepEqual(forwards(r), ['x@elsewhere.test', 'user1@c.test']);
        assert.ok(r.reasons.includes('redirection'));
      });

      await t.test('forwarding keeps a copy or not', async () => {
        await admin.setForwarding(core, 'user2@a.test', ['far@elsewhere.test'], true);
        let r = await local(core, 'user2@a.test');
        assert.deepEqual(mailboxIds(r), [u2]);
        assert.deepEqual(forwards(r), ['far@elsewhere.test']);
        await admin.setForwarding(core, 'user2@a.test', ['far@elsewhere.test'], false);
        r = await local(core, 'sales@a.test');
        assert.deepEqual(mailboxIds(r), []);
        assert.deepEqual(forwards(r), ['far@elsewhere.test']);
        await admin.setForwarding(core, 'user2@a.test', [], false);
        r = await local(core, 'user2@a.test');
        assert.deepEqual(mailboxIds(r), [u2]);
        assert.deepEqual(forwards(r), []);
      });

      await t.test('suspended addresses are disabled, not unknown', async () => {
        await admin.updateAddress(core, 'user1+special@a.test', { state: 'suspended' });
        assert.equal((await resolveRecipient(core, 'user1+special@a.test')).kind, 'disabled');
      });

      await t.test('internationalised domains and UTF-8 local parts', async () => {
        await admin.addDomain(core, 'bücher.example');
        await admin.addAddress(core, 'jürgen@BÜCHER.example', { password: 'x' });
        const id = await idOf(core, 'jürgen@xn--bcher-kva.example');
        assert.equal(await idOf(core, 'JÜRGEN@bücher.example'), id);
        assert.equal(await idOf(core, 'ju\u0308rgen@bu\u0308cher.example'), id);
        const r = await local(core, 'jürgen@bücher.example');
        assert.equal(r.canonical, 'jürgen@xn--bcher-kva.example');
      });

      await t.test('set as primary renames every address, loses none, moves no mail', async () => {
        const before = await admin.listAddresses(core, 'a.test');
        const inbox = (await core.store.mail.getMailbox(u1, 'INBOX'))!;
        const blob = await core.store.blobs.put(Buffer.from('Subject: kept\r\n\r\nbody\r\n'));
        await core.store.mail.appendMessage({
          mailboxId: inbox.id,
          blobHash: blob.hash,
          size: blob.size,
          internalDate: 1,
          flags: [],
        });

        await admin.setPrimaryDomain(core, 'b.test');
        const after = await admin.listAddresses(core, 'b.test');
        assert.equal(after.length, before.length);
        assert.deepEqual(
          after.map((v) => v.address).sort(),
          before.map((v) => v.address.replace(/@a\.test$/, '@b.test')).sort(),
        );
        // same mailboxes by either name; the other service untouched
        assert.equal(await idOf(core, 'user1@b.test'), u1);
        assert.equal(await idOf(core, 'user1@a.test'), u1);
        assert.equal(await idOf(core, 'user2@a.test'), u2);
        assert.equal(await idOf(core, 'user1@c.test'), c1);
        assert.equal((await local(core, 'user1@a.test')).canonical, 'user1@b.test');
        assert.deepEqual((await local(core, 'user1@a.test')).reasons, ['linked-domain', 'address']);
        assert.equal((await local(core, 'sales@b.test')).addressId, u2);
        const domains = await admin.listDomains(core);
        assert.deepEqual(
          domains
            .filter((d) => d.serviceId === domains.find((x) => x.name === 'a.test')!.serviceId)
            .map((d) => [d.name, d.primary])
            .sort(),
          [
            ['a.test', false],
            ['b.test', true],
          ],
        );
        const inboxAfter = (await core.store.mail.getMailbox(u1, 'INBOX'))!;
        assert.equal(inboxAfter.id, inbox.id);
        assert.equal((await core.store.mail.counts(inbox.id)).messages, 1);
        // and back again
        await admin.setPrimaryDomain(core, 'a.test');
        assert.equal((await local(core, 'user1@b.test')).canonical, 'user1@a.test');
        assert.equal(await idOf(core, 'user1@b.test'), u1);
      });
    } finally {
      await tc.close();
    }
  });
}
