import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionLimiter } from './session-limits.js';

test('per-user session slots: refused at the limit, freed on release', () => {
  const l = new SessionLimiter(2);
  assert.equal(l.tryAcquire(1), true);
  assert.equal(l.tryAcquire(1), true);
  assert.equal(l.tryAcquire(1), false);
  assert.equal(l.tryAcquire(2), true, 'other users are not affected');
  assert.equal(l.count(1), 2);
  l.release(1);
  assert.equal(l.count(1), 1);
  assert.equal(l.tryAcquire(1), true);
  l.release(1);
  l.release(1);
  assert.equal(l.count(1), 0);
  l.release(1);
  assert.equal(l.count(1), 0, 'an extra release does not go below zero');
  assert.equal(l.tryAcquire(1), true);
});
