import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionLimiter } from './session-limits.js';

test('per-user session slots: refused at the limit, freed once on release', () => {
  const l = new SessionLimiter(2);
  const a = l.acquire(1)!;
  const b = l.acquire(1)!;
  assert.equal(l.acquire(1), undefined);
  assert.ok(l.acquire(2), 'other users are not affected');
  a();
  a();
  assert.equal(l.count(1), 1);
  assert.ok(l.acquire(1));
  b();
});
