import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerValues, joinMessage, makeField, splitMessage } from './header-block.js';

test('split and join round-trip every byte, CRLF and LF', () => {
  for (const raw of [
    'Subject: a\r\n folded\r\nFrom: x@y.test\r\n\r\nbody\r\n\r\nmore\r\n',
    'Subject: a\nFrom: x\n\nbody\n',
    'Subject: only headers\r\n',
    '\r\nbody without headers',
    'X-8bit: caf\xe9\r\n\r\n\xff\x00',
  ]) {
    const buf = Buffer.from(raw, 'latin1');
    const m = splitMessage(buf);
    const back = joinMessage(m);
    if (raw.includes('\r\n\r\n') || raw.includes('\n\n') || raw.startsWith('\r\n'))
      assert.deepEqual(back, buf, JSON.stringify(raw));
  }
});

test('fields, folding, values', () => {
  const m = splitMessage(Buffer.from('Subject: a\r\n folded\r\nBcc: b@x.test\r\nbcc: c@x.test\r\n\r\nbody'));
  assert.deepEqual(headerValues(m, 'subject'), ['a folded']);
  assert.deepEqual(headerValues(m, 'BCC'), ['b@x.test', 'c@x.test']);
  m.fields = m.fields.filter((f) => f.key !== 'bcc');
  m.fields.unshift(makeField('Received', 'from a\r\n\tby b'));
  assert.equal(joinMessage(m).toString(), 'Received: from a\r\n\tby b\r\nSubject: a\r\n folded\r\n\r\nbody');
});
