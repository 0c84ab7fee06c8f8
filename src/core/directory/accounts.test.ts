import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareAccount, type Account } from './accounts.js';

const account = (addressId: number, quotaBytes = 1000): Account => ({
  addressId,
  serviceId: 1,
  localPart: `user${addressId}`,
  domain: 'example.test',
  address: `user${addressId}@example.test`,
  displayName: '',
  quotaBytes,
});

test('shareAccount: logins of an unchanged account get one object; a change makes a new one', () => {
  const first = shareAccount(account(900_001));
  assert.equal(shareAccount(account(900_001)), first, 'the same account: the object handed out before');
  assert.notEqual(shareAccount(account(900_002)), first, 'another address: its own object');
  const bigger = shareAccount(account(900_001, 2000));
  assert.notEqual(bigger, first, 'a new quota: a new object');
  assert.equal(bigger.quotaBytes, 2000);
  assert.equal(shareAccount(account(900_001, 2000)), bigger);
  assert.equal(first.quotaBytes, 1000, 'the earlier object is left as it was');
});

test('shareAccount: only recent logins are kept', () => {
  const first = shareAccount(account(800_000));
  for (let i = 1; i <= 2000; i++) shareAccount(account(800_000 + i));
  assert.notEqual(shareAccount(account(800_000)), first, 'forgotten after 2000 other logins');
  const recent = shareAccount(account(800_000 + 2000));
  assert.equal(shareAccount(account(800_000 + 2000)), recent);
});
