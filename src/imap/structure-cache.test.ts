import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StructureCache } from './structure-cache.js';

test('structure cache: per blob, item and UTF-8 mode; least recently used dropped past the bound', () => {
  // Each entry below counts 24 characters (12 of key, 12 of value): four fit in 100.
  const c = new StructureCache(100);
  c.set('a', 'envelope', false, 'x'.repeat(12));
  c.set('a', 'envelope', true, 'y'.repeat(12));
  c.set('b', 'body', false, 'b'.repeat(12));
  assert.equal(c.get('a', 'body', false), undefined);
  assert.equal(c.get('a', 'envelope', false), 'x'.repeat(12)); // now the most recently used
  c.set('c', 'body', false, 'c'.repeat(12));
  c.set('d', 'body', false, 'd'.repeat(12));
  assert.equal(c.size, 4);
  assert.equal(c.get('a', 'envelope', true), undefined, 'the least recently used went');
  assert.equal(c.get('a', 'envelope', false), 'x'.repeat(12));
  assert.equal(c.get('b', 'body', false), 'b'.repeat(12));
  assert.equal(c.get('d', 'body', false), 'd'.repeat(12));
  // Anything over an eighth of the bound is not kept at all.
  c.set('e', 'bodystructure', false, 'e'.repeat(13));
  assert.equal(c.get('e', 'bodystructure', false), undefined);
});
