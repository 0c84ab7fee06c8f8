// Seeded fuzzing of the SMTP command path against the real server (bin/mailstead serve): sessions of
// random, garbled and pipelined commands on raw sockets. The server never crashes, and a fresh session
// afterwards still gets its greeting and a 250 to EHLO.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import fc from 'fast-check';
import { startServer, type TestServer } from '../kit/server.js';
import { corpus, guardAsync, params } from './fuzz-kit.js';

let srv: TestServer;
before(async () => {
  srv = await startServer({ services: ['smtp'] });
  assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
  assert.equal(srv.admin('address', 'add', 'user1@example.test', '--password', 'pass').code, 0);
});
after(async () => {
  await srv.cleanup();
});

const LINES = [
  'EHLO mx.remote.test',
  'HELO x',
  'EHLO',
  'EHLO [127.0.0.1]',
  'EHLO ' + 'h'.repeat(600),
  'MAIL FROM:<a@remote.test>',
  'MAIL FROM:<>',
  'MAIL FROM:<a@remote.test> SIZE=99999999999999',
  'MAIL FROM:<a@remote.test> BODY=8BITMIME SMTPUTF8',
  'MAIL FROM:a@remote.test',
  'MAIL FROM:<a@remote.test> RET=HDRS ENVID=x+2Bx',
  'MAIL FROM:<"quoted\\"local"@remote.test>',
  'RCPT TO:<user1@example.test>',
  'RCPT TO:<USER1+tag@EXAMPLE.TEST>',
  'RCPT TO:<nobody@example.test>',
  'RCPT TO:<@a,@b:user1@example.test>',
  'RCPT TO:<user1@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y',
  'RCPT TO:<x@elsewhere.test>',
  'RCPT TO:<user1%elsewhere.test@example.test>',
  'DATA',
  '.',
  '..',
  'Subject: fuzz',
  '',
  'From: <a@remote.test>',
  'BDAT 10',
  'BDAT 0 LAST',
  'BDAT 99999999999 LAST',
  'BDAT x',
  'RSET',
  'NOOP',
  'NOOP arg',
  'VRFY user1',
  'EXPN list',
  'HELP',
  'STARTTLS',
  'AUTH PLAIN AGZvbwBiYXI=',
  'AUTH LOGIN',
  'AUTH',
  '*',
  'QUIT',
  'XCLIENT ADDR=1.2.3.4',
  'PROXY TCP4 1.2.3.4 5.6.7.8 1 2',
  'mail from:<a@remote.test>',
  'rcpt to:<user1@example.test>',
];

const line = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...LINES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.from(u).toString('latin1')) },
  { weight: 1, arbitrary: fc.integer({ min: 500, max: 70_000 }).map((n) => 'X'.repeat(n)) },
);
const session = fc.record({
  lines: fc.array(line, { minLength: 1, maxLength: 30 }),
  ending: fc.constantFrom('\r\n', '\n', '\r', ''),
  pipelined: fc.boolean(),
});

/** Sends a session's bytes (all at once or line by line) and reads whatever comes back. */
async function play(port: number, bytes: Buffer[], pipelined: boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      s.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, 700);
    s.on('data', (d) => (got += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.once('data', async () => {
      if (pipelined) s.write(Buffer.concat(bytes));
      else
        for (const b of bytes) {
          if (s.destroyed) break;
          s.write(b);
          await new Promise((r) => setTimeout(r, 2));
        }
      setTimeout(() => s.end(), 150);
    });
  });
}

async function assertAlive(): Promise<void> {
  assert.equal(srv.proc.exitCode, null, `server exited: ${srv.output().slice(-2000)}`);
  const r = await playExpect(srv.ports.smtp);
  assert.match(r, /^220 /m, 'greeting after fuzzing');
  assert.match(r, /^250[ -]/m, 'EHLO answered after fuzzing');
}

async function playExpect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve(got);
    }, 5000);
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (/^220 /m.test(got) && !got.includes('EHLO-SENT')) {
        got += 'EHLO-SENT\n';
        s.write('EHLO check.remote.test\r\n');
      }
      if (/^250 /m.test(got)) {
        clearTimeout(t);
        s.end('QUIT\r\n');
        resolve(got);
      }
    });
    s.on('error', () => resolve(got));
  });
}

test('fuzz: SMTP sessions with random and garbled commands; the server keeps answering', async () => {
  for (const input of corpus('smtp')) await play(srv.ports.smtp, [input], true);
  await assertAlive();
  let sessions = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(session, { minLength: 1, maxLength: 4 }), async (batch) => {
      // A few sessions at once, as an MX sees them.
      await Promise.all(
        batch.map((b) =>
          play(
            srv.ports.smtp,
            b.lines.map((l) => Buffer.from(l + b.ending, 'latin1')),
            b.pipelined,
          ),
        ),
      );
      sessions += batch.length;
      const bytes = Buffer.concat(
        batch.flatMap((b) => b.lines.map((l) => Buffer.from(l + b.ending, 'latin1'))),
      );
      await guardAsync('smtp', bytes, async () => {
        assert.equal(srv.proc.exitCode, null, `server exited: ${srv.output().slice(-2000)}`);
      });
    }),
    params(10, 4000),
  );
  assert.ok(sessions > 0);
  await assertAlive();
});
