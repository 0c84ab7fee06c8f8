// Seeded fuzzing of the command receivers (IMAP, ManageSieve, POP3): arbitrary protocol-looking bytes
// in arbitrary chunks never make them throw, never loop, and never hold more than their limits allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ImapReceiver } from '../../src/imap/proto/receiver.js';
import { ManageSieveReceiver } from '../../src/managesieve/proto/receiver.js';
import { Pop3LineReader } from '../../src/pop3/proto/line-reader.js';
import { parseCommand, parseNumber, MAX_COMMAND_LINE } from '../../src/pop3/proto/command.js';
import { chunksOf, corpus, guard, params, protocolBytes, withinTime } from './fuzz-kit.js';

const IMAP_WORDS = [
  'a1',
  'A2',
  '*',
  'LOGIN',
  'SELECT',
  'FETCH',
  'UID',
  'APPEND',
  'SEARCH',
  'STORE',
  'IDLE',
  'DONE',
  'AUTHENTICATE',
  'PLAIN',
  'BODY.PEEK[HEADER.FIELDS (FROM)]',
  'BODY[1.2.MIME]<0.10>',
  '1:*',
  '1,3:5',
  'INBOX',
  '"INBOX"',
  '(\\Seen)',
  'CHARSET',
  'UTF-8',
  'NIL',
  '"a\\"b"',
  'ENVELOPE',
  'BINARY[1]',
];
const SIEVE_WORDS = [
  'AUTHENTICATE',
  '"PLAIN"',
  'PUTSCRIPT',
  'GETSCRIPT',
  'SETACTIVE',
  'LISTSCRIPTS',
  'CHECKSCRIPT',
  'HAVESPACE',
  'STARTTLS',
  'LOGOUT',
  'NOOP',
  'CAPABILITY',
  '"s"',
  '{10+}',
  'keep;',
  'UNAUTHENTICATE',
];
const POP3_WORDS = [
  'USER',
  'PASS',
  'APOP',
  'STAT',
  'LIST',
  'RETR',
  'DELE',
  'TOP',
  'UIDL',
  'CAPA',
  'STLS',
  'AUTH',
  'QUIT',
  '1',
  '0',
  '-1',
  '99999999999999999999',
];

const LIMITS = { maxLineLength: 8192, maxLiteralSize: 64 * 1024, maxLiterals: 8 };

function drainImap(r: ImapReceiver, chunks: Buffer[]): number {
  let results = 0;
  for (const c of chunks) {
    r.push(c);
    for (let guard = 0; ; guard++) {
      assert.ok(guard < 100_000, 'receiver loops without consuming input');
      const v = r.next();
      if (v.kind === 'needMore') break;
      results++;
      if (v.kind === 'request' && v.request.command === 'IDLE') r.expectLine();
      if (v.kind === 'error' && v.fatal) return results;
    }
    // Bounded memory: what is held is within one line plus one literal plus the last chunk.
    assert.ok(
      r.buffered <= LIMITS.maxLineLength + LIMITS.maxLiteralSize + c.length + 64,
      `holds ${r.buffered} bytes`,
    );
  }
  return results;
}

function drainSieve(r: ManageSieveReceiver, chunks: Buffer[]): void {
  for (const c of chunks) {
    r.push(c);
    for (let guard = 0; ; guard++) {
      assert.ok(guard < 100_000, 'receiver loops without consuming input');
      const v = r.next();
      if (v.kind === 'needMore') break;
      if (v.kind === 'command' && v.command.name.toUpperCase() === 'AUTHENTICATE') r.expectContinuation();
      if (v.kind === 'error' && v.fatal) return;
    }
    assert.ok(
      r.buffered <= LIMITS.maxLineLength + LIMITS.maxLiteralSize + c.length + 64,
      `holds ${r.buffered} bytes`,
    );
  }
}

function drainPop3(chunks: Buffer[]): void {
  const r = new Pop3LineReader();
  for (const c of chunks) {
    r.push(c);
    for (let guard = 0; ; guard++) {
      assert.ok(guard < 100_000, 'line reader loops');
      const v = r.next(MAX_COMMAND_LINE);
      if (v.kind === 'needMore') break;
      if (v.kind === 'line') {
        const cmd = parseCommand(v.line);
        assert.ok(cmd !== undefined);
        for (const w of v.line.split(' ')) parseNumber(w);
      }
    }
    assert.ok(r.buffered <= MAX_COMMAND_LINE + c.length, `holds ${r.buffered} bytes`);
  }
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

test('fuzz: IMAP receiver (corpus, then seeded random input in random chunks)', () => {
  for (const input of corpus('imap-receiver')) drainImap(new ImapReceiver(LIMITS), [input]);
  fc.assert(
    fc.property(protocolBytes(IMAP_WORDS), cuts, (input, cs) => {
      guard('imap-receiver', input, () =>
        withinTime(2000, 'IMAP receiver', () => drainImap(new ImapReceiver(LIMITS), chunksOf(input, cs))),
      );
    }),
    params(400),
  );
});

test('fuzz: IMAP receiver with LITERAL- and tight limits', () => {
  const tight = { maxLineLength: 64, maxLiteralSize: 16, maxLiterals: 1, literalMinus: true };
  fc.assert(
    fc.property(protocolBytes(IMAP_WORDS), cuts, (input, cs) => {
      const r = new ImapReceiver(tight);
      for (const c of chunksOf(input, cs)) {
        r.push(c);
        for (let g = 0; ; g++) {
          assert.ok(g < 100_000);
          const v = r.next();
          if (v.kind === 'needMore' || (v.kind === 'error' && v.fatal)) break;
        }
        assert.ok(r.buffered <= 64 + 16 + c.length + 64);
      }
    }),
    params(300),
  );
});

test('fuzz: ManageSieve receiver', () => {
  for (const input of corpus('managesieve-receiver')) drainSieve(new ManageSieveReceiver(LIMITS), [input]);
  fc.assert(
    fc.property(protocolBytes(SIEVE_WORDS), cuts, (input, cs) => {
      withinTime(2000, 'ManageSieve receiver', () =>
        drainSieve(new ManageSieveReceiver(LIMITS), chunksOf(input, cs)),
      );
    }),
    params(400),
  );
});

test('fuzz: POP3 line reader and command parser', () => {
  for (const input of corpus('pop3')) drainPop3([input]);
  fc.assert(
    fc.property(protocolBytes(POP3_WORDS), cuts, (input, cs) => {
      guard('pop3', input, () => withinTime(2000, 'POP3 reader', () => drainPop3(chunksOf(input, cs))));
    }),
    params(400),
  );
});
