// The receiver fed the same input at every split point and in 1/3/17-byte chunks must return the same
// commands; a seeded fuzz proves it never throws and stays bounded (RFC 5804 §4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ManageSieveReceiver, type ReceiveResult } from './receiver.js';
import { msString, responseLine } from './response.js';
import { decodeSaslPlain } from './sasl-plain.js';
import type { MsArg } from './tokens.js';

const OPTS = { maxLineLength: 256, maxLiteralSize: 1024 };

function arg(a: MsArg): unknown {
  if (a.kind === 'string') return { s: a.value.toString('utf8'), lit: a.literal };
  return a.value;
}

function summary(r: ReceiveResult): unknown {
  if (r.kind === 'command') return ['cmd', r.command.name, r.command.args.map(arg)];
  if (r.kind === 'error') return ['err', r.code ?? '', r.text, r.fatal];
  return ['more'];
}

function feed(chunks: Buffer[], opts = OPTS): unknown[] {
  const r = new ManageSieveReceiver(opts);
  const out: unknown[] = [];
  for (const c of chunks) {
    r.push(c);
    for (;;) {
      const v = r.next();
      if (v.kind === 'needMore') break;
      out.push(summary(v));
      if (v.kind === 'error' && v.fatal) return out;
    }
  }
  return out;
}

const INPUT = Buffer.from(
  [
    'CAPABILITY\r\n',
    'putscript "main" {12+}\r\nkeep;\r\nstop;\r\n',
    'PUTSCRIPT {4}\r\nname {5+}\r\nkeep;\r\n',
    'HAVESPACE "x \\"q\\" \\\\" 1234\n',
    `NOOP "${'a'.repeat(300)}"\r\n`,
    'NOOP "after long"\r\n',
    `PUTSCRIPT "big" {2000+}\r\n${'b'.repeat(2000)}\r\n`,
    'SETACTIVE ""\r\n',
    'PUTSCRIPT "a"{3+}\r\nabc\r\n',
    'LOGOUT\r\n',
  ].join(''),
);

const EXPECTED = [
  ['cmd', 'CAPABILITY', []],
  [
    'cmd',
    'PUTSCRIPT',
    [
      { s: 'main', lit: false },
      { s: 'keep;\r\nstop;', lit: true },
    ],
  ],
  [
    'cmd',
    'PUTSCRIPT',
    [
      { s: 'name', lit: true },
      { s: 'keep;', lit: true },
    ],
  ],
  ['cmd', 'HAVESPACE', [{ s: 'x "q" \\', lit: false }, 1234]],
  ['err', '', 'Command line too long (at most 256 bytes)', false],
  ['cmd', 'NOOP', [{ s: 'after long', lit: false }]],
  ['err', 'QUOTA/MAXSIZE', 'String too large (at most 1024 bytes)', false],
  ['cmd', 'SETACTIVE', [{ s: '', lit: false }]],
  ['err', '', 'Missing space before a literal', false],
  ['cmd', 'LOGOUT', []],
];

test('whole input: commands, literals of both forms, oversized line and literal skipped in step', () => {
  assert.deepEqual(feed([INPUT]), EXPECTED);
});

test('every split point gives the same result', () => {
  for (let i = 1; i < INPUT.length; i++) {
    assert.deepEqual(feed([INPUT.subarray(0, i), INPUT.subarray(i)]), EXPECTED, `split at ${i}`);
  }
});

test('1, 3 and 17-byte chunks give the same result', () => {
  for (const n of [1, 3, 17]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < INPUT.length; i += n) chunks.push(INPUT.subarray(i, i + n));
    assert.deepEqual(feed(chunks), EXPECTED, `chunks of ${n}`);
  }
});

test('SASL continuation lines have no command name', () => {
  const r = new ManageSieveReceiver(OPTS);
  r.expectContinuation();
  r.push(Buffer.from('"AGFiYwBk"\r\nNOOP\r\n'));
  assert.deepEqual(summary(r.next()), ['cmd', '', [{ s: 'AGFiYwBk', lit: false }]]);
  assert.deepEqual(summary(r.next()), ['cmd', 'NOOP', []]);
});

test('an absurd literal size is fatal; reset drops buffered bytes', () => {
  assert.deepEqual(feed([Buffer.from('PUTSCRIPT "x" {1234567890123+}\r\n')]), [
    ['err', '', 'Literal size out of range', true],
  ]);
  const r = new ManageSieveReceiver(OPTS);
  r.push(Buffer.from('NOOP "inject"\r\n'));
  r.reset();
  r.push(Buffer.from('NOOP\r\n'));
  assert.deepEqual(summary(r.next()), ['cmd', 'NOOP', []]);
});

test('fuzz: never throws, memory stays bounded', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc
            .constantFrom('{5+}\r\n', '{3}\r\n', '"', '\\', '\r\n', ' ', 'PUTSCRIPT ', '{99999+}\r\n')
            .map((s) => Buffer.from(s)),
        ),
        { maxLength: 60 },
      ),
      (parts) => {
        const r = new ManageSieveReceiver(OPTS);
        for (const p of parts) {
          r.push(Buffer.from(p));
          for (let i = 0; i < 1000; i++) {
            const v = r.next();
            if (v.kind === 'needMore') break;
            if (v.kind === 'error' && v.fatal) return;
          }
          assert.ok(r.buffered <= OPTS.maxLineLength + OPTS.maxLiteralSize + 64 * 60);
        }
      },
    ),
    { seed: 5804, numRuns: 400 },
  );
});

test('responses: quoted when possible, literal otherwise; codes in parentheses', () => {
  assert.equal(msString('a "b" \\c'), '"a \\"b\\" \\\\c"');
  assert.equal(msString('two\r\nlines'), '{10}\r\ntwo\r\nlines');
  assert.equal(msString('x'.repeat(1025)).slice(0, 7), '{1025}\r');
  assert.equal(responseLine('NO', 'QUOTA/MAXSIZE', 'Too big'), 'NO (QUOTA/MAXSIZE) "Too big"\r\n');
  assert.equal(responseLine('OK'), 'OK\r\n');
});

test('SASL PLAIN decoding', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  assert.deepEqual(decodeSaslPlain(b64('\0u@x.test\0pw')), {
    authzid: '',
    username: 'u@x.test',
    password: 'pw',
  });
  assert.deepEqual(decodeSaslPlain(b64('a\0u\0p')), { authzid: 'a', username: 'u', password: 'p' });
  assert.equal(decodeSaslPlain(b64('u\0p')), null);
  assert.equal(decodeSaslPlain('***'), null);
  assert.equal(decodeSaslPlain(b64('\0\0p')), null);
});
