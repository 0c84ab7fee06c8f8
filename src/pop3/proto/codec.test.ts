// POP3 codec: the bounded line reader under split and chunked input, command parsing (RFC 1939 §3),
// multi-line byte-stuffing (RFC 1939 §3) in any chunking, TOP, SASL PLAIN (RFC 4616), seeded fuzz.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Pop3LineReader, type LineResult } from './line-reader.js';
import { parseCommand, parseNumber } from './command.js';
import { DotStuffer, stuffMessage, topOf } from './dot-stuff.js';
import { errLine, multiLine, okLine } from './response.js';
import { decodePlain } from './sasl-plain.js';

function chunked(buf: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
  return out;
}

function drain(r: Pop3LineReader, max: number): Array<string | null> {
  const out: Array<string | null> = [];
  for (;;) {
    const v: LineResult = r.next(max);
    if (v.kind === 'needMore') return out;
    out.push(v.kind === 'line' ? v.line : null);
  }
}

function readAll(input: Buffer, chunk: number, max = 255): Array<string | null> {
  const r = new Pop3LineReader();
  const out: Array<string | null> = [];
  for (const c of chunked(input, chunk)) {
    r.push(c);
    out.push(...drain(r, max));
  }
  return out;
}

/** A client's reading of a multi-line body: the reverse of stuffing, up to the lone ".". */
function unstuff(wire: Buffer): { body: Buffer; rest: Buffer } {
  const lines: Buffer[] = [];
  let i = 0;
  for (;;) {
    const lf = wire.indexOf(0x0a, i);
    assert.ok(lf > 0 && wire[lf - 1] === 0x0d, 'every line ends with CRLF');
    const line = wire.subarray(i, lf - 1);
    i = lf + 1;
    if (line.length === 1 && line[0] === 0x2e) return { body: Buffer.concat(lines), rest: wire.subarray(i) };
    lines.push(line[0] === 0x2e ? line.subarray(1) : line, Buffer.from('\r\n'));
  }
}

/** What the client should get: every line end CRLF, a final CRLF added if missing. */
function canonical(raw: Buffer): Buffer {
  let s = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  if (s.length && !s.endsWith('\r\n')) s += '\r\n';
  return Buffer.from(s, 'latin1');
}

// ---- line reader -------------------------------------------------------------------------------

const SESSION = Buffer.from('CAPA\r\nUSER alice@example.test\r\nPASS a b c\r\nSTAT\r\nLIST 1\r\nQUIT\r\n');
const EXPECTED = ['CAPA', 'USER alice@example.test', 'PASS a b c', 'STAT', 'LIST 1', 'QUIT'];

test('line reader: a session split at every byte gives the same lines', () => {
  for (let cut = 0; cut <= SESSION.length; cut++) {
    const r = new Pop3LineReader();
    r.push(SESSION.subarray(0, cut));
    const out = drain(r, 255);
    r.push(SESSION.subarray(cut));
    out.push(...drain(r, 255));
    assert.deepEqual(out, EXPECTED, `cut at ${cut}`);
  }
});

test('line reader: 1-, 3- and 17-byte chunks', () => {
  for (const n of [1, 3, 17]) assert.deepEqual(readAll(SESSION, n), EXPECTED);
});

test('line reader: bare LF ends a line; an empty line is a line', () => {
  assert.deepEqual(readAll(Buffer.from('NOOP\n\r\nSTAT\r\n'), 2), ['NOOP', '', 'STAT']);
});

test('line reader: an over-long line is reported once and dropped, in any chunking (RFC 2449 §4)', () => {
  const long = Buffer.from('USER ' + 'x'.repeat(300) + '\r\nNOOP\r\n');
  for (const n of [1, 7, 64, 1000]) assert.deepEqual(readAll(long, n, 255), [null, 'NOOP'], `chunk ${n}`);
  // Exactly at the bound (CRLF included) is fine; one more byte is not.
  const at = 'A'.repeat(253);
  assert.deepEqual(readAll(Buffer.from(at + '\r\n'), 5, 255), [at]);
  assert.deepEqual(readAll(Buffer.from(at + 'B\r\n'), 5, 255), [null]);
});

test('line reader: an endless line is never buffered beyond the bound', () => {
  const r = new Pop3LineReader();
  for (let i = 0; i < 1000; i++) {
    r.push(Buffer.alloc(1000, 0x41));
    assert.deepEqual(drain(r, 255), []);
    assert.ok(r.buffered <= 1255);
  }
  r.push(Buffer.from('\r\nQUIT\r\n'));
  assert.deepEqual(drain(r, 255), [null, 'QUIT']);
});

test('line reader: reset forgets buffered input (STLS injection defence, RFC 2595 §4)', () => {
  const r = new Pop3LineReader();
  r.push(Buffer.from('STLS\r\nUSER evil\r\n'));
  assert.deepEqual(r.next(255), { kind: 'line', line: 'STLS' });
  r.reset();
  assert.deepEqual(r.next(255), { kind: 'needMore' });
  assert.equal(r.buffered, 0);
});

// ---- commands ----------------------------------------------------------------------------------

test('commands: keywords are case-insensitive, arguments split on single spaces (RFC 1939 §3)', () => {
  assert.deepEqual(parseCommand('stat'), { kind: 'command', verb: 'STAT', args: [] });
  assert.deepEqual(parseCommand('Top 1 10'), { kind: 'command', verb: 'TOP', args: ['1', '10'] });
  assert.deepEqual(parseCommand('PASS  secret with spaces '), {
    kind: 'command',
    verb: 'PASS',
    args: [' secret with spaces '],
  });
  assert.deepEqual(parseCommand('APOP a b'), { kind: 'unknown', keyword: 'APOP' });
  assert.equal(parseCommand('').kind, 'error');
  assert.equal(parseCommand('LIST  1').kind, 'error');
  assert.equal(parseCommand('LIST ').kind, 'error');
  assert.equal(parseCommand('RETRIEVE 1').kind, 'error');
  assert.equal(parseCommand('R3TR 1').kind, 'error');
  assert.equal(parseCommand('DELE ' + '1'.repeat(41)).kind, 'error');
  assert.equal(parseCommand('USER ' + 'a'.repeat(60) + '@example.test').kind, 'command');
});

test('message numbers: digits only', () => {
  assert.equal(parseNumber('12'), 12);
  assert.equal(parseNumber('0'), 0);
  for (const bad of [undefined, '', '-1', '+1', '1.0', '0x10', '1e3', ' 1', '99999999999'])
    assert.equal(parseNumber(bad), undefined, String(bad));
});

// ---- responses ---------------------------------------------------------------------------------

test('responses: status lines with response codes (RFC 2449 §8, RFC 3206)', () => {
  assert.equal(okLine('hi'), '+OK hi\r\n');
  assert.equal(okLine(''), '+OK\r\n');
  assert.equal(errLine('locked', 'IN-USE'), '-ERR [IN-USE] locked\r\n');
  assert.equal(errLine('bad\r\nthing'), '-ERR bad  thing\r\n');
  assert.equal(multiLine('caps', ['TOP', '.dot']), '+OK caps\r\nTOP\r\n..dot\r\n.\r\n');
});

test('byte-stuffing: known vectors', () => {
  const cases: Array<[string, string]> = [
    ['', '.\r\n'],
    ['a\r\n', 'a\r\n.\r\n'],
    ['a', 'a\r\n.\r\n'],
    ['.\r\n', '..\r\n.\r\n'],
    ['x\r\n.\r\n..y\r\n', 'x\r\n..\r\n...y\r\n.\r\n'],
    ['bare\nlf\n.dot', 'bare\r\nlf\r\n..dot\r\n.\r\n'],
    ['cr only\r', 'cr only\r\n.\r\n'],
  ];
  for (const [input, wire] of cases) assert.equal(stuffMessage(Buffer.from(input)).toString(), wire, input);
});

test('byte-stuffing fuzz: any message in any chunking reads back as the message (seeded)', () => {
  const lineish = fc
    .array(
      fc.oneof(
        fc.constantFrom('.', '..', '\r\n', '\n', '\r', '.\r\n', 'From: a\r\n', '\r\n.\r\n'),
        fc.string({ maxLength: 8 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => Buffer.from(parts.join(''), 'latin1'));
  fc.assert(
    fc.property(lineish, fc.integer({ min: 1, max: 19 }), (raw, n) => {
      // A lone CR is not a line end; the reference only models CRLF / LF messages.
      fc.pre(!/\r(?!\n)/.test(raw.toString('latin1')));
      const whole = stuffMessage(raw);
      const s = new DotStuffer();
      const parts = chunked(raw, n).map((c) => s.push(c));
      const streamed = Buffer.concat([...parts, s.end()]);
      assert.deepEqual(streamed, whole);
      const { body, rest } = unstuff(whole);
      assert.equal(rest.length, 0);
      assert.deepEqual(body, canonical(raw));
    }),
    { seed: 1939, numRuns: 2000 },
  );
});

test('TOP: header, blank line and the first n body lines (RFC 1939 §7)', () => {
  const m = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n');
  assert.equal(topOf(m, 0).toString(), 'A: 1\r\nB: 2\r\n\r\n');
  assert.equal(topOf(m, 2).toString(), 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n');
  assert.equal(topOf(m, 99).toString(), m.toString());
  assert.equal(topOf(Buffer.from('A: 1\nB: 2'), 5).toString(), 'A: 1\nB: 2');
  assert.equal(topOf(Buffer.from('A: 1\n\nbody\nmore\n'), 1).toString(), 'A: 1\n\nbody\n');
});

// ---- SASL PLAIN --------------------------------------------------------------------------------

test('SASL PLAIN: decoding (RFC 4616 §2)', () => {
  const b = (s: string) => Buffer.from(s).toString('base64');
  assert.deepEqual(decodePlain(b('\0alice@example.test\0pw d')), {
    authzid: '',
    authcid: 'alice@example.test',
    password: 'pw d',
  });
  assert.deepEqual(decodePlain(b('admin\0alice\0pw')), {
    authzid: 'admin',
    authcid: 'alice',
    password: 'pw',
  });
  for (const bad of ['', '!!!!', b('alice\0pw'), b('\0\0pw'), b('\0alice\0'), b('a\0b\0c\0d'), 'YWJj ZA=='])
    assert.equal(decodePlain(bad), undefined, bad);
});

// ---- fuzz --------------------------------------------------------------------------------------

test('fuzz: random bytes and mutated sessions never throw, memory stays bounded (seeded)', () => {
  const corpus = SESSION.toString('latin1');
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 600 }),
        fc
          .tuple(fc.nat(corpus.length), fc.string({ maxLength: 300 }), fc.nat(corpus.length))
          .map(([a, s, b]) => Buffer.from(corpus.slice(0, a) + s + corpus.slice(b), 'latin1')),
      ),
      fc.integer({ min: 1, max: 23 }),
      (bytes, n) => {
        const r = new Pop3LineReader();
        const lines: Array<string | null> = [];
        for (const c of chunked(Buffer.from(bytes), n)) {
          r.push(c);
          lines.push(...drain(r, 64));
          assert.ok(r.buffered < 64 + 23);
        }
        for (const l of lines) if (l !== null) parseCommand(l);
        // The same input in one piece gives the same lines.
        assert.deepEqual(readAll(Buffer.from(bytes), bytes.length || 1, 64), lines);
      },
    ),
    { seed: 20260127, numRuns: 3000 },
  );
});
