// SRS: forward and reverse agree, forgeries and stale addresses are refused, and the
// corner cases of the scheme (null sender, '=' in local parts, SRS0 from another host) hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSrsAddress, srsForward, srsReverse, type SrsOptions } from './srs.js';

const DAY = 86_400_000;
const now = Date.UTC(2026, 0, 15);
const o: SrsOptions = { secret: 'test-secret', domain: 'fwd.ours.test', now };

test('SRS0 round trip', () => {
  const r = srsForward('Alice.Smith@Example.ORG', o);
  assert.match(r, /^SRS0=[A-Za-z0-9+/]{4}=[A-Z2-7]{2}=Example\.ORG=Alice\.Smith@fwd\.ours\.test$/);
  assert.ok(isSrsAddress(r));
  assert.equal(srsReverse(r, o), 'Alice.Smith@Example.ORG');
  // local parts get case-folded on the way back; the hash still matches
  assert.equal(srsReverse(r.toLowerCase(), o)?.toLowerCase(), 'alice.smith@example.org');
});

test('a local part with "=" survives', () => {
  const r = srsForward('a=b=c@example.org', o);
  assert.equal(srsReverse(r, o), 'a=b=c@example.org');
});

test('forged, foreign, expired and unrelated addresses do not reverse', () => {
  const r = srsForward('alice@example.org', o);
  const forged = r.replace(/^SRS0=..../, 'SRS0=AAAA');
  assert.equal(srsReverse(forged, o), undefined);
  assert.equal(srsReverse(r.replace('alice@', 'mallory@'), o), undefined);
  assert.equal(srsReverse(r, { ...o, secret: 'another secret' }), undefined);
  assert.equal(srsReverse(r, { ...o, now: now + 22 * DAY }), undefined, 'older than 21 days');
  assert.equal(srsReverse(r, { ...o, now: now + 20 * DAY }), 'alice@example.org');
  assert.equal(srsReverse(r.replace('@fwd.ours.test', '@other.test'), o), undefined);
  assert.equal(srsReverse('alice@fwd.ours.test', o), undefined);
  assert.equal(isSrsAddress('alice@fwd.ours.test'), false);
});

test('secret rotation: the old secret still reverses', () => {
  const r = srsForward('alice@example.org', o);
  assert.equal(srsReverse(r, { ...o, secret: ['new-secret', 'test-secret'] }), 'alice@example.org');
});

test('the null sender and our own addresses are not rewritten', () => {
  assert.equal(srsForward('', o), '');
  assert.equal(srsForward('bob@fwd.ours.test', o), 'bob@fwd.ours.test');
});

test('forwarding an SRS0 address of another host makes SRS1, which reverses to that host', () => {
  const first: SrsOptions = { secret: 'first-secret', domain: 'first.test', now };
  const srs0 = srsForward('alice@example.org', first);
  const srs1 = srsForward(srs0, o);
  assert.match(srs1, /^SRS1=[A-Za-z0-9+/]{4}=first\.test==/);
  const back = srsReverse(srs1, o);
  assert.equal(back, srs0);
  assert.equal(srsReverse(back!, first), 'alice@example.org');
  // and once more through a third host: still points at the first one
  const third: SrsOptions = { secret: 'third-secret', domain: 'third.test', now };
  const again = srsForward(srs1, third);
  assert.match(again, /^SRS1=[A-Za-z0-9+/]{4}=first\.test==/);
  assert.equal(srsReverse(again, third), srs0);
});
