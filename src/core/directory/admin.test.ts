// Directory administration on both engines: the refusals, the plan limits, and that a refused
// action changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import type { Core } from '../context.js';
import { isMailError, type MailErrorCode } from '../errors.js';
import { authenticate } from '../security/auth.js';
import * as admin from './admin.js';

async function refuses(p: Promise<unknown>, code: MailErrorCode, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isMailError(e, code), `expected ${code}, got ${String(e)}`);
    if (re) assert.match((e as Error).message, re);
    return true;
  });
}

async function snapshot(core: Core): Promise<string> {
  const d = core.store.directory;
  return JSON.stringify({
    services: await d.listServices(),
    domains: (await d.listDomains()).map((x) => [x.name, x.isPrimary, x.serviceId]),
    addresses: (await d.listAddresses()).map((a) => [a.localPart, a.kind, a.serviceId, a.state]),
    aliases: (await d.listAliases({})).map((a) => [a.localPart, a.addressId]),
  });
}

for (const kind of ENGINES) {
  test(`directory administration (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const tc = await makeCore(kind);
    const { core } = tc;
    try {
      await admin.addDomain(core, 'example.test');
      await admin.addAddress(core, 'user1@example.test', { password: 'pass' });

      await t.test('new addresses get the special folders', async () => {
        const sid = (await core.store.directory.findDomain('example.test'))!.serviceId;
        const addressId = (await core.store.directory.findAddress(sid, 'user1'))!.id;
        const names = (await core.store.mail.listMailboxes(addressId)).map((m) => [m.name, m.specialUse]);
        assert.deepEqual(names.sort(), [
          ['Archive', '\\Archive'],
          ['Drafts', '\\Drafts'],
          ['INBOX', null],
          ['Junk', '\\Junk'],
          ['Sent', '\\Sent'],
          ['Trash', '\\Trash'],
        ]);
      });

      await t.test('bad input is refused and changes nothing', async () => {
        const before = await snapshot(core);
        await refuses(admin.addAddress(core, 'user1@example.test', { password: 'x' }), 'ALREADY_EXISTS');
        await refuses(admin.addAddress(core, 'USER1@Example.test', { password: 'x' }), 'ALREADY_EXISTS');
        await refuses(admin.addAddress(core, 'not an address', { password: 'x' }), 'INVALID_ADDRESS');
        await refuses(
          admin.addAddress(core, 'x@unknown.test', { password: 'x' }),
          'DOMAIN_NOT_FOUND',
          /unknown\.test/,
        );
        await refuses(admin.addAddress(core, 'x@example.test', { password: '' }), 'INVALID_ARGUMENT');
        await refuses(admin.addDomain(core, 'example.test'), 'ALREADY_EXISTS');
        await refuses(admin.addDomain(core, 'not a domain'), 'INVALID_ARGUMENT');
        await refuses(admin.linkDomain(core, 'example.test', 'example.test'), 'ALREADY_EXISTS');
        await refuses(admin.linkDomain(core, 'nope.test', 'new.test'), 'DOMAIN_NOT_FOUND');
        await refuses(admin.unlinkDomain(core, 'example.test'), 'INVALID_ARGUMENT', /primary/);
        await refuses(admin.setPrimaryDomain(core, 'nope.test'), 'DOMAIN_NOT_FOUND');
        await refuses(admin.removeAddress(core, 'ghost@example.test'), 'NOT_FOUND');
        await refuses(admin.addAlias(core, 'user1@example.test', 'user1@example.test'), 'ALREADY_EXISTS');
        await refuses(admin.addAlias(core, 'al@example.test', 'ghost@example.test'), 'NOT_FOUND');
        await refuses(admin.setRedirect(core, 'user1@example.test', ['a@b.test']), 'ALREADY_EXISTS');
        await refuses(
          admin.setRedirect(
            core,
            'r@example.test',
            Array.from({ length: 11 }, (_, i) => `t${i}@x.test`),
          ),
          'PLAN_LIMIT',
        );
        await refuses(admin.setRedirect(core, 'r@example.test', ['r@example.test']), 'INVALID_ARGUMENT');
        await refuses(
          admin.setForwarding(core, 'user1@example.test', ['user1@example.test'], false),
          'INVALID_ARGUMENT',
        );
        assert.equal(await snapshot(core), before);
      });

      await t.test('alias and address names share one namespace per service', async () => {
        await admin.linkDomain(core, 'example.test', 'other.test');
        await admin.addAlias(core, 'contact@other.test', 'user1@example.test');
        await refuses(admin.addAddress(core, 'contact@example.test', { password: 'x' }), 'ALREADY_EXISTS');
        await refuses(admin.addAlias(core, 'contact@example.test', 'user1@example.test'), 'ALREADY_EXISTS');
        await refuses(admin.setRedirect(core, 'contact@example.test', ['a@b.test']), 'ALREADY_EXISTS');
        assert.deepEqual((await admin.showAddress(core, 'user1@other.test')).aliases, [
          'contact@example.test',
        ]);
        await admin.removeAlias(core, 'contact@example.test');
        await refuses(admin.removeAlias(core, 'contact@example.test'), 'NOT_FOUND');
      });

      await t.test('plans: Starter allows one address and no catch-all; downgrades are checked', async () => {
        await admin.addDomain(core, 'small.test', { plan: 'starter' });
        await admin.addAddress(core, 'me@small.test', { password: 'x' });
        const before = await snapshot(core);
        await refuses(admin.addAddress(core, 'second@small.test', { password: 'x' }), 'PLAN_LIMIT');
        await refuses(admin.addAddress(core, 'catchall@small.test', { password: 'x' }), 'PLAN_LIMIT');
        await admin.addAddress(core, 'user2@example.test', { password: 'x' });
        await refuses(admin.setPlan(core, 'example.test', 'starter'), 'PLAN_LIMIT');
        await admin.removeAddress(core, 'user2@example.test');
        assert.equal(await snapshot(core), before);
        await admin.setPlan(core, 'small.test', 'premium');
        await admin.addAddress(core, 'catchall@small.test', { password: 'x' });
        await refuses(admin.setPlan(core, 'small.test', 'starter'), 'PLAN_LIMIT');
      });

      await t.test('passwords: login by full address on any domain of the service, any case', async () => {
        const req = { password: 'pass', protocol: 'imap' as const, remoteIp: '127.0.0.1', secure: true };
        assert.equal((await authenticate(core, { ...req, username: 'user1@example.test' })).ok, true);
        assert.equal((await authenticate(core, { ...req, username: 'User1@OTHER.test' })).ok, true);
        assert.equal((await authenticate(core, { ...req, username: 'user1' })).ok, false);
        assert.equal(
          (await authenticate(core, { ...req, username: 'user1@example.test', password: 'nope' })).ok,
          false,
        );
        assert.deepEqual(
          await authenticate(core, { ...req, username: 'user1@example.test', secure: false }),
          { ok: false, reason: 'insecure', temporary: false },
        );
        await admin.setPassword(core, 'user1@other.test', 'new-secret');
        assert.equal((await authenticate(core, { ...req, username: 'user1@example.test' })).ok, false);
        assert.equal(
          (await authenticate(core, { ...req, username: 'user1@example.test', password: 'new-secret' })).ok,
          true,
        );
        await admin.setPrimaryDomain(core, 'other.test');
        assert.equal(
          (await authenticate(core, { ...req, username: 'user1@example.test', password: 'new-secret' })).ok,
          true,
        );
        const ok = await authenticate(core, {
          ...req,
          username: 'user1@example.test',
          password: 'new-secret',
        });
        assert.ok(ok.ok && ok.account.address === 'user1@other.test');
      });

      await t.test('removing an address removes its folders and aliases', async () => {
        await admin.addAddress(core, 'temp@other.test', { password: 'x' });
        await admin.addAlias(core, 'tmp@other.test', 'temp@other.test');
        const sid = (await core.store.directory.findDomain('other.test'))!.serviceId;
        const id = (await core.store.directory.findAddress(sid, 'temp'))!.id;
        await admin.removeAddress(core, 'temp@example.test');
        assert.deepEqual(await core.store.mail.listMailboxes(id), []);
        assert.equal(await core.store.directory.findAlias(sid, 'tmp'), undefined);
      });

      await t.test('unlinking a domain stops it answering', async () => {
        await admin.linkDomain(core, 'other.test', 'third.test');
        await admin.unlinkDomain(core, 'third.test');
        assert.equal(await core.store.directory.findDomain('third.test'), undefined);
      });
    } finally {
      await tc.close();
    }
  });
}
