// POP3 on the wire, with a raw client: greeting and CAPA (RFC 2449), STLS and its injection defence
// (RFC 2595 §4), logins refused before TLS, AUTH PLAIN (RFC 5034), and every error path a real
// client never takes: unknown commands, wrong state, bad message numbers, over-long lines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import type { Socket } from 'node:net';
import type { TestServer } from '../../kit/server.js';
import { deliver, newUser, PASSWORD, RawPop3, session, startPop3Server } from './harness.js';

let srv: TestServer;
before(async () => {
  srv = await startPop3Server();
});
after(async () => {
  await srv?.cleanup();
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('AUTHORIZATION state (RFC 1939 §4, RFC 2449, RFC 2595)', () => {
  test('greeting and CAPA before TLS offer STLS and no login; after TLS USER and SASL PLAIN', async () => {
    const c = await RawPop3.connect(srv.ports.pop3);
    assert.match(c.greeting, /^\+OK /);
    const before = await c.multi('CAPA');
    assert.match(before.status, /^\+OK/);
    for (const cap of ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'STLS'])
      assert.ok(before.lines.includes(cap), cap);
    assert.ok(!before.lines.includes('USER'));
    assert.ok(!before.lines.some((l) => l.startsWith('SASL')));
    await c.stls();
    const afterTls = await c.multi('CAPA');
    assert.ok(afterTls.lines.includes('USER'));
    assert.ok(afterTls.lines.includes('SASL PLAIN'));
    assert.ok(!afterTls.lines.includes('STLS'));
    assert.match(await c.cmd('STLS'), /^-ERR/);
    c.close();
  });

  test('USER, PASS and AUTH are refused before STLS, with [AUTH]', async () => {
    const user = newUser(srv);
    const c = await RawPop3.connect(srv.ports.pop3);
    assert.match(await c.cmd(`USER ${user}`), /^-ERR \[AUTH\]/);
    assert.match(await c.cmd(`PASS ${PASSWORD}`), /^-ERR \[AUTH\]/);
    assert.match(await c.cmd(`AUTH PLAIN ${b64(`\0${user}\0${PASSWORD}`)}`), /^-ERR \[AUTH\]/);
    assert.match(await c.cmd('AUTH'), /^-ERR \[AUTH\]/);
    await c.stls();
    assert.match(await c.login(user), /^\+OK/);
    assert.match(await c.cmd('QUIT'), /^\+OK/);
    assert.ok(await c.waitClosed());
  });

  test('commands pipelined behind STLS are discarded, never run (RFC 2595 §4)', async () => {
    const c = await RawPop3.connect(srv.ports.pop3);
    c.send('STLS\r\nCAPA\r\nNOOP\r\n');
    assert.match(await c.line(), /^\+OK/);
    const plain = c.socket as Socket;
    plain.removeAllListeners('data');
    const tls = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
    let got = '';
    tls.on('data', (d: Buffer) => (got += d.toString()));
    tls.write('QUIT\r\n');
    await new Promise((r) => tls.once('end', r));
    assert.match(got, /^\+OK [^\r\n]*signing off\r\n$/);
  });

  test('PASS without USER, wrong password with [AUTH], then a good login', async () => {
    const user = newUser(srv);
    const c = await RawPop3.connect(srv.ports.pop3s, true);
    assert.match(await c.cmd(`PASS ${PASSWORD}`), /^-ERR/);
    assert.match(await c.login(user, 'wrong'), /^-ERR \[AUTH\]/);
    assert.match(await c.login(user), /^\+OK/);
    c.close();
  });

  test('too many failed logins on one connection close it', async () => {
    const user = newUser(srv);
    const c = await RawPop3.connect(srv.ports.pop3s, true);
    assert.match(await c.login(user, 'bad1'), /^-ERR \[AUTH\]/);
    assert.match(await c.login(user, 'bad2'), /^-ERR \[AUTH\]/);
    assert.match(await c.login(user, 'bad3'), /^-ERR \[AUTH\].*closing/);
    assert.ok(await c.waitClosed());
  });

  test('AUTH PLAIN with an initial response, with a continuation, cancelled, and refused', async () => {
    const user = newUser(srv);
    const c1 = await RawPop3.connect(srv.ports.pop3s, true);
    assert.match(await c1.cmd('AUTH CRAM-MD5'), /^-ERR/);
    const list = await c1.multi('AUTH');
    assert.deepEqual(list.lines, ['PLAIN']);
    assert.match(await c1.cmd('AUTH PLAIN'), /^\+ $/);
    assert.match(await c1.cmd('*'), /^-ERR/);
    assert.match(await c1.cmd(`AUTH PLAIN ${b64(`someone-else\0${user}\0${PASSWORD}`)}`), /^-ERR \[AUTH\]/);
    assert.match(await c1.cmd(`AUTH PLAIN ${b64(`\0${user}\0${PASSWORD}`)}`), /^\+OK/);
    assert.match(await c1.cmd('STAT'), /^\+OK 0 0$/);
    assert.match(await c1.cmd('QUIT'), /^\+OK/);
    const c2 = await RawPop3.connect(srv.ports.pop3s, true);
    assert.match(await c2.cmd('AUTH PLAIN'), /^\+ $/);
    assert.match(await c2.cmd(b64(`${user}\0${user}\0${PASSWORD}`)), /^\+OK/);
    c2.close();
  });
});

describe('errors and limits', () => {
  test('unknown and malformed commands, wrong state', async () => {
    const user = newUser(srv);
    const c = await RawPop3.connect(srv.ports.pop3s, true);
    assert.match(await c.cmd('XYZW'), /^-ERR Unknown command/);
    assert.match(await c.cmd('XYZZY'), /^-ERR/);
    assert.match(await c.cmd('APOP user 0123456789abcdef'), /^-ERR/);
    assert.match(await c.cmd(''), /^-ERR/);
    assert.match(await c.cmd('STAT'), /^-ERR .*not valid in this state/);
    assert.match(await c.cmd('RETR 1'), /^-ERR/);
    assert.match(await c.cmd('NOOP'), /^-ERR/);
    assert.match(await c.login(user), /^\+OK/);
    assert.match(await c.cmd(`USER ${user}`), /^-ERR/);
    assert.match(await c.cmd('STLS'), /^-ERR/);
    assert.match(await c.cmd('LIST  1'), /^-ERR/);
    assert.match(await c.cmd('noop'), /^\+OK/);
    c.close();
  });

  test('message numbers: out of range, malformed, deleted; RSET brings them back', async () => {
    const user = newUser(srv);
    await deliver(srv, user, 2);
    const c = await session(srv, user);
    for (const bad of [
      'RETR 0',
      'RETR 3',
      'RETR abc',
      'RETR -1',
      'RETR',
      'LIST 3',
      'UIDL 0',
      'DELE 9',
      'TOP 1',
      'TOP 1 x',
      'TOP 3 0',
      'RETR 1 2',
    ])
      assert.match(await c.cmd(bad), /^-ERR/, bad);
    assert.match(await c.cmd('DELE 1'), /^\+OK/);
    assert.match(await c.cmd('DELE 1'), /^-ERR/);
    assert.match(await c.cmd('RETR 1'), /^-ERR/);
    assert.match(await c.cmd('LIST 1'), /^-ERR/);
    const list = await c.multi('LIST');
    assert.equal(list.lines.length, 1);
    assert.match(list.lines[0]!, /^2 \d+$/);
    const st = await c.cmd('STAT');
    assert.match(st, /^\+OK 1 \d+$/);
    assert.match(await c.cmd('RSET'), /^\+OK/);
    assert.match(await c.cmd('STAT'), /^\+OK 2 \d+$/);
    assert.match(await c.cmd('LIST 1'), /^\+OK 1 \d+$/);
    c.close();
  });

  test('a line too long is refused and the session goes on; endless junk closes it', async () => {
    const user = newUser(srv);
    const c = await session(srv, user);
    assert.match(await c.cmd('NOOP ' + 'x'.repeat(2000)), /^-ERR Line too long/);
    assert.match(await c.cmd('NOOP'), /^\+OK/);
    const d = await RawPop3.connect(srv.ports.pop3s, true);
    for (let i = 0; i < 25 && !d.closed; i++) {
      d.send('BOGUS\r\n');
      await d.line().catch(() => '');
    }
    assert.ok(await d.waitClosed());
    c.close();
  });

  test('pipelined commands are answered in order (RFC 2449 §6.6)', async () => {
    const user = newUser(srv);
    await deliver(srv, user, 2);
    const c = await session(srv, user);
    c.send('STAT\r\nLIST\r\nUIDL 2\r\nNOOP\r\n');
    assert.match(await c.line(), /^\+OK 2 \d+$/);
    assert.match(await c.line(), /^\+OK 2 messages/);
    const lines = await c.body();
    assert.deepEqual(
      lines.map((l) => l.split(' ')[0]),
      ['1', '2'],
    );
    assert.match(await c.line(), /^\+OK 2 \d+\.2$/);
    assert.match(await c.line(), /^\+OK/);
    c.close();
  });

  test('RETR byte-stuffs lines starting with "." and TOP 0 sends the header only', async () => {
    const user = newUser(srv);
    await deliver(srv, user, 1, 'first\\r\\n.starts with a dot\\r\\n..two\\r\\nlast\\r\\n');
    const c = await session(srv, user);
    c.send('RETR 1\r\n');
    const status = await c.line();
    assert.match(status, /^\+OK \d+ octets$/);
    const wire: string[] = [];
    for (let l = await c.line(); l !== '.'; l = await c.line()) wire.push(l);
    assert.ok(wire.includes('..starts with a dot'), wire.join('\n'));
    assert.ok(wire.includes('...two'));
    const top = await c.multi('TOP 1 0');
    assert.ok(top.lines.some((l) => /^Subject: /.test(l)));
    assert.equal(top.lines[top.lines.length - 1], '');
    assert.ok(!top.lines.includes('first'));
    const top1 = await c.multi('TOP 1 1');
    assert.equal(top1.lines[top1.lines.length - 1], 'first');
    c.close();
  });
});
