import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseDomain, parseAddress, splitDetail } from './address.js';

test('addresses are normalised: case, NFC, punycode domains', () => {
  assert.deepEqual(parseAddress('User1@Example.TEST'), {
    localRaw: 'User1',
    local: 'user1',
    domain: 'example.test',
    domainUnicode: 'example.test',
  });
  const idn = parseAddress('jürgen@Bücher.example')!;
  assert.equal(idn.domain, 'xn--bcher-kva.example');
  assert.equal(idn.domainUnicode, 'bücher.example');
  assert.equal(idn.local, 'jürgen');
  // NFD input (u + combining diaeresis) equals the NFC form
  assert.equal(parseAddress('ju\u0308rgen@example.test')!.local, 'jürgen');
  assert.equal(parseAddress('a@xn--bcher-kva.example')!.domain, 'xn--bcher-kva.example');
});

test('relay tricks and malformed addresses are refused', () => {
  for (const bad of [
    'victim%elsewhere.test@example.test',
    '"victim@elsewhere.test"@example.test',
    '@example.test:victim@elsewhere.test',
    'victim@elsewhere.test@example.test',
    'not an address',
    'a@',
    '@b.test',
    'a@b',
    'a@[127.0.0.1]',
    'a..b@example.test',
    '.a@example.test',
    'a.@example.test',
    'a@-x.test',
    'a@x_y.test',
    'x'.repeat(65) + '@example.test',
    '',
  ]) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
});

test('domains', () => {
  assert.equal(normaliseDomain('Example.Test.'), 'example.test');
  assert.equal(normaliseDomain('localhost'), undefined);
  assert.equal(normaliseDomain('a'.repeat(64) + '.test'), undefined);
});

test('subaddress detail', () => {
  assert.deepEqual(splitDetail('user+tag'), { user: 'user', detail: 'tag' });
  assert.deepEqual(splitDetail('user+'), { user: 'user', detail: '' });
  assert.deepEqual(splitDetail('+x'), { user: '+x', detail: null });
  assert.deepEqual(splitDetail('user'), { user: 'user', detail: null });
});
