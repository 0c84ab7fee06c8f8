// The receiver fed the same input at every split point and in 1/3/17-byte chunks must return the
// same requests; a seeded fuzz proves it never throws and stays bounded (RFC 9051 §2.2, §4.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImapReceiver, type ReceiveResult } from './receiver.js';
import type { Token } from './tokens.js';

const OPTS = { maxLineLength: 8192, maxLiteralSize: 1 << 20 };

function simplify(t: Token): unknown {
  if (t.kind === 'atom') return t.value;
  if (t.kind === 'string') return { s: t.value.toString('utf8'), lit: t.literal };
  return t.items.map(simplify);
}

function summary(r: ReceiveResult): unknown {
  switch (r.kind) {
    case 'request':
      return ['req', r.request.tag, r.request.command, r.request.args.map(simplify)];
    case 'needLiteral':
      return ['lit', r.tag, r.size, r.nonSync];
    case 'error':
      return ['err', r.tag, r.text];
    case 'line':
      return ['line', r.text];
    case 'needMore':
      return ['more'];
  }
}

function feed(chunks: Buffer[], opts = OPTS): unknown[] {
  const r = new ImapReceiver(opts);
  const out: unknown[] = [];
  for (const c of chunks) {
    r.push(c);
    for (;;) {
      const v = r.next();
      if (v.kind === 'needMore') break;
      out.push(summary(v));
    }
  }
  return out;
}

function chunked(buf: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
  return out;
}

const SAMPLE = Buffer.from(
  'a1 LOGIN "user@example.test" {5}\r\npa"ss\r\n' +
    'a2 SELECT "INBOX"\r\n' +
    'a3 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)\r\n' +
    'a4 APPEND Drafts (\\Seen) " 7-Feb-2022 21:52:25 -0800" {11+}\r\nhello\r\nbye!\r\n' +
    'a5 SEARCH CHARSET UTF-8 OR (SUBJECT "x \\"y\\"") NOT SEEN\r\n' +
    'a6 NOOP\n',
);

test('same requests whatever the chunking: every split point, 1/3/17-byte chunks', () => {
  const whole = feed([SAMPLE]);
  assert.equal(whole.filter((x) => (x as unknown[])[0] === 'req').length, 6);
  assert.deepEqual(whole[0], ['lit', 'a1', 5, false]);
  assert.deepEqual(whole[1], [
    'req',
    'a1',
    'LOGIN',
    [
      { s: 'user@example.test', lit: false },
      { s: 'pa"ss', lit: true },
    ],
  ]);
  assert.deepEqual(whole[3], [
    'req',
    'a3',
    'UID',
    ['FETCH', '1:*', ['FLAGS', 'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>']],
  ]);
  for (let i = 1; i < SAMPLE.length; i++) {
    assert.deepEqual(feed([SAMPLE.subarray(0, i), SAMPLE.subarray(i)]), whole, `split at ${i}`);
  }
  for (const n of [1, 3, 17]) assert.deepEqual(feed(chunked(SAMPLE, n)), whole, `${n}-byte chunks`);
});

test('errors: long lines, big literals, bad syntax; the next command still parses', () => {
  const small = { maxLineLength: 64, maxLiteralSize: 10 };
  const out = feed(
    [
      Buffer.from(
        `b1 NOOP ${'x'.repeat(100)}\r\nb2 APPEND INBOX {11}\r\nb3 APPEND INBOX {1}\r\nx\r\nb4 "\r\nb5 FETCH (\r\nb6 NOOP\r\n`,
      ),
    ],
    small,
  );
  assert.deepEqual(out, [
    ['err', 'b1', 'Command line too long'],
    ['err', 'b2', 'Literal too large'],
    ['lit', 'b3', 1, false],
    ['req', 'b3', 'APPEND', ['INBOX', { s: 'x', lit: true }]],
    ['err', 'b4', 'Unterminated quoted string'],
    ['err', 'b5', 'Missing ")"'],
    ['req', 'b6', 'NOOP', []],
  ]);
});

test('raw lines for AUTHENTICATE and IDLE', () => {
  const r = new ImapReceiver(OPTS);
  r.push(Buffer.from('c1 IDLE\r\nDO'));
  assert.equal(r.next().kind, 'request');
  r.expectLine();
  assert.equal(r.next().kind, 'needMore');
  r.push(Buffer.from('NE\r\nc2 NOOP\r\n'));
  assert.deepEqual(summary(r.next()), ['line', 'DONE']);
  assert.deepEqual(summary(r.next()), ['req', 'c2', 'NOOP', []]);
});

test('a non-synchronizing literal above the limit is fatal (RFC 7888 §4)', () => {
  const r = new ImapReceiver({ maxLineLength: 100, maxLiteralSize: 10 });
  r.push(Buffer.from('d1 APPEND INBOX {20+}\r\n'));
  const v = r.next();
  assert.ok(v.kind === 'error' && v.fatal);
});

test('fuzz: random bytes and mutated commands never throw, memory stays bounded (seeded)', () => {
  const corpus = SAMPLE.toString('latin1');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc
          .tuple(fc.nat(corpus.length), fc.string({ maxLength: 20 }), fc.nat(corpus.length))
          .map(([a, s, b]) => Buffer.from(corpus.slice(0, a) + s + corpus.slice(b), 'latin1')),
      ),
      fc.integer({ min: 1, max: 23 }),
      (bytes, n) => {
        const r = new ImapReceiver({ maxLineLength: 256, maxLiteralSize: 64 });
        for (const c of chunked(Buffer.from(bytes), n)) {
          r.push(c);
          for (let guard = 0; guard < 1000; guard++) {
            const v = r.next();
            if (v.kind === 'needMore') break;
            if (v.kind === 'line') assert.fail('no raw line was asked for');
          }
          assert.ok(r.buffered <= 256 + 64 + 32);
        }
      },
    ),
    { seed: 20260127, numRuns: 3000 },
  );
});
