import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import { isBanned, MAX_FAILURES, recordAuthFailure, recordAuthSuccess } from './bans.js';

for (const kind of ENGINES) {
  test(`failed logins and bans (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const { core, close } = await makeCore(kind);
    try {
      const failures = (ip: string) => core.store.kv.get('auth-fail', ip);
      const fail = (ip: string) =>
        recordAuthFailure(core, { ip, username: 'u@example.test', protocol: 'imap' });

      // A success with nothing counted leaves nothing behind.
      await recordAuthSuccess(core, '192.0.2.1');
      assert.equal(await failures('192.0.2.1'), undefined);

      // A success forgets the failures counted so far, for that address only.
      await fail('192.0.2.1');
      await fail('192.0.2.1');
      await fail('192.0.2.2');
      assert.equal(await failures('192.0.2.1'), '2');
      await recordAuthSuccess(core, '192.0.2.1');
      assert.equal(await failures('192.0.2.1'), undefined);
      assert.equal(await failures('192.0.2.2'), '1');

      // MAX_FAILURES in the window ban the address; loopback is never banned.
      for (let i = 1; i < MAX_FAILURES; i++) await fail('192.0.2.2');
      assert.equal(await isBanned(core, '192.0.2.2'), true);
      assert.equal(await isBanned(core, '192.0.2.1'), false);
      for (let i = 0; i < MAX_FAILURES; i++) await fail('127.0.0.1');
      assert.equal(await isBanned(core, '127.0.0.1'), false);
    } finally {
      await close();
    }
  });
}
