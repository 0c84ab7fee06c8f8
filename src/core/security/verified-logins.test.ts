// The verified-login cache, alone and inside authenticate(): a repeated login with the password that
// verified skips scrypt; a wrong password, a changed password, an expired entry or a disabled address
// never pass through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCore } from '../../../test/kit/core.js';
import * as admin from '../directory/admin.js';
import { authenticate } from './auth.js';
import { passwordStats } from './password.js';
import { VerifiedLogins } from './verified-logins.js';

test('VerifiedLogins: bound to the stored hash and the password, expires, evicts the oldest', () => {
  const c = new VerifiedLogins(1000, 2);
  assert.equal(c.matches(1, 'h1', 'pw', 0), false);
  c.remember(1, 'h1', 'pw', 0);
  assert.equal(c.matches(1, 'h1', 'pw', 999), true);
  assert.equal(c.matches(1, 'h1', 'pw ', 999), false, 'another password');
  assert.equal(c.matches(1, 'h2', 'pw', 999), false, 'the stored hash changed');
  assert.equal(c.matches(1, 'h1', 'pw', 999), false, 'a stale entry is dropped');
  c.remember(1, 'h1', 'pw', 0);
  assert.equal(c.matches(1, 'h1', 'pw', 1000), false, 'expired');
  c.remember(1, 'h', 'a', 0);
  c.remember(2, 'h', 'b', 0);
  c.remember(3, 'h', 'c', 0);
  assert.equal(c.size, 2);
  assert.equal(c.matches(1, 'h', 'a', 1), false, 'the oldest was evicted');
  assert.equal(c.matches(3, 'h', 'c', 1), true);
  // NFC: the same text, composed or not, is the same password (as scrypt verification sees it).
  c.remember(4, 'h', 'caf\u00e9', 0);
  assert.equal(c.matches(4, 'h', 'cafe\u0301', 1), true);
  const off = new VerifiedLogins(0);
  off.remember(1, 'h', 'pw', 0);
  assert.equal(off.matches(1, 'h', 'pw', 0), false, 'ttl 0: nothing kept');
});

test('authenticate() with the cache: repeats skip scrypt; wrong, changed, expired and suspended do not', async () => {
  let clock = 1_000_000;
  const t = await makeCore('sqlite', { now: () => clock });
  const core = { ...t.core, verifiedLogins: new VerifiedLogins(600_000) };
  try {
    await admin.addDomain(core, 'example.test');
    await admin.addAddress(core, 'u@example.test', { password: 'right' });
    const req = {
      username: 'u@example.test',
      protocol: 'imap' as const,
      remoteIp: '127.0.0.9',
      secure: true,
    };
    const runs = () => passwordStats.verifications;

    let n = runs();
    assert.equal((await authenticate(core, { ...req, password: 'right' })).ok, true);
    assert.equal(runs(), n + 1, 'the first login runs scrypt');
    n = runs();
    assert.equal((await authenticate(core, { ...req, password: 'right' })).ok, true);
    assert.equal(
      (await authenticate(core, { ...req, username: 'U@EXAMPLE.TEST', password: 'right' })).ok,
      true,
    );
    assert.equal(runs(), n, 'repeats within the ttl do not');

    n = runs();
    assert.equal((await authenticate(core, { ...req, password: 'wrong' })).ok, false);
    assert.equal(runs(), n + 1, 'a wrong password is verified (and refused) by scrypt');

    await admin.setPassword(core, 'u@example.test', 'changed');
    assert.equal(
      (await authenticate(core, { ...req, password: 'right' })).ok,
      false,
      'the old password is over',
    );
    n = runs();
    assert.equal((await authenticate(core, { ...req, password: 'changed' })).ok, true);
    assert.equal(runs(), n + 1);

    clock += 600_000;
    n = runs();
    assert.equal((await authenticate(core, { ...req, password: 'changed' })).ok, true);
    assert.equal(runs(), n + 1, 'after the ttl, scrypt again');

    await admin.updateAddress(core, 'u@example.test', { state: 'suspended' });
    const r = await authenticate(core, { ...req, password: 'changed' });
    assert.deepEqual(r, { ok: false, reason: 'disabled', temporary: false });
  } finally {
    await t.close();
  }
});
