// ManageSieve on the wire (RFC 5804) with a raw client: capabilities before and after TLS, SASL
// PLAIN with and without an initial response, every script command with its response codes, and the
// error paths — wrong state, unknown commands, bad syntax, both literal forms, oversized input.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../kit/server.js';
import { literal, loggedIn, PASSWORD, RawSieve, startSieveServer, USER } from './harness.js';

let srv: TestServer;
let port: number;

before(async () => {
  srv = await startSieveServer();
  port = srv.ports.managesieve;
});

after(async () => {
  await srv?.cleanup();
});

const SCRIPT = 'require "fileinto";\r\nif header :is "x-test" "1" { fileinto "T"; }\r\n';

test('greeting: capabilities, STARTTLS, no SASL mechanism before TLS; after STARTTLS, PLAIN', async () => {
  const { client, greeting } = await RawSieve.connect(port);
  try {
    assert.match(greeting.done, /^OK /);
    const caps = greeting.lines.join('\n');
    assert.match(caps, /^"IMPLEMENTATION" "Mailstead"$/m);
    assert.match(caps, /^"SASL" ""$/m);
    assert.match(caps, /^"STARTTLS"$/m);
    assert.match(caps, /^"VERSION" "1\.0"$/m);
    assert.match(caps, /^"SIEVE" ".*\bfileinto\b.*\bvacation\b.*"$/m);
    assert.match(caps, /^"MAXREDIRECTS" "\d+"$/m);
    const plain = await client.login();
    assert.match(plain.done, /^NO \(ENCRYPT-NEEDED\)/);
    const { after: tls } = await client.startTls();
    assert.match(tls.done, /^OK/);
    const caps2 = tls.lines.join('\n');
    assert.match(caps2, /^"SASL" "PLAIN"$/m);
    assert.doesNotMatch(caps2, /"STARTTLS"/);
    const again = await client.cmd('STARTTLS');
    assert.match(again.done, /^NO/);
    const ok = await client.login();
    assert.match(ok.done, /^OK/);
    const capAuth = await client.cmd('CAPABILITY');
    assert.match(capAuth.lines.join('\n'), new RegExp(`^"OWNER" "${USER}"$`, 'm'));
  } finally {
    client.close();
  }
});

test('AUTHENTICATE without an initial response, as a literal continuation; "*" cancels', async () => {
  const { client } = await RawSieve.connect(port);
  try {
    await client.startTls();
    client.write('AUTHENTICATE "PLAIN"\r\n');
    assert.equal(await client.readLine(), '""');
    client.write('"*"\r\n');
    assert.match((await client.response()).done, /^NO .*cancel/i);
    client.write('authenticate "plain"\r\n');
    assert.equal(await client.readLine(), '""');
    client.write(literal(Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')) + '\r\n');
    assert.match((await client.response()).done, /^OK/);
    assert.match((await client.cmd('AUTHENTICATE "PLAIN" "AGEAYg=="')).done, /^NO "Already authenticated"/);
  } finally {
    client.close();
  }
});

test('failed logins: NO each time, BYE after the third', async () => {
  const { client } = await RawSieve.connect(port);
  await client.startTls();
  assert.match((await client.login(USER, 'nope')).done, /^NO "Authentication failed"/);
  assert.match((await client.cmd('AUTHENTICATE "PLAIN" "not base64!"')).done, /^NO/);
  assert.match((await client.cmd('AUTHENTICATE "DIGEST-MD5"')).done, /^NO .*Unsupported/);
  assert.match((await client.login('bob@example.test', 'nope')).done, /^NO/);
  assert.match(await client.readLine(), /^BYE/);
  await client.waitClosed();
});

test('wrong state, unknown command, syntax errors: NO and the session goes on', async () => {
  const { client } = await RawSieve.connect(port);
  try {
    assert.match((await client.cmd('LISTSCRIPTS')).done, /^NO "Authenticate first"/);
    assert.match((await client.cmd(`PUTSCRIPT "a" ${literal('keep;')}`)).done, /^NO "Authenticate first"/);
    assert.match((await client.cmd('FROBNICATE')).done, /^NO "Unknown command FROBNICATE"/);
    assert.match((await client.cmd('NOOP "unterminated')).done, /^NO .*Unterminated/);
    assert.match((await client.cmd('NOOP "bad \\x escape"')).done, /^NO .*escape/);
    assert.match((await client.cmd('NOOP "a""b"')).done, /^NO .*space/);
    assert.match((await client.cmd('"NOOP"')).done, /^NO .*command name/);
    assert.match((await client.cmd('')).done, /^NO .*Empty/);
    assert.match((await client.cmd('NOOP 99999999999')).done, /^NO .*range/);
    assert.match((await client.cmd('CAPABILITY extra')).done, /^NO .*Too many/);
    const noop = await client.cmd('NOOP "hello \\"you\\""');
    assert.equal(noop.done, 'OK (TAG "hello \\"you\\"") "Done"');
    assert.match((await client.cmd('noop')).done, /^OK "Done"/);
  } finally {
    client.close();
  }
});

test('script commands and their response codes', async () => {
  const c = await loggedIn(port);
  try {
    assert.match((await c.cmd('HAVESPACE "main" 1000')).done, /^OK/);
    assert.match((await c.cmd('HAVESPACE "main" 999999999')).done, /^NO \(QUOTA\/MAXSIZE\)/);
    assert.match((await c.cmd(`PUTSCRIPT "main" ${literal(SCRIPT)}`)).done, /^OK/);
    // Synchronizing form {N} is read the same (RFC 5804 defines no continuation for it).
    assert.match((await c.cmd(`PUTSCRIPT "other" {5}\r\nkeep;`)).done, /^OK/);
    assert.match((await c.cmd('PUTSCRIPT "quoted" "discard;"')).done, /^OK/);
    const bad = await c.cmd(`PUTSCRIPT "bad" ${literal('require "fileinto";\r\nfileinto;\r\n')}`);
    assert.match(bad.done, /^NO "line 2, column \d+: /);
    assert.match((await c.cmd(`CHECKSCRIPT ${literal('if true { stop; }')}`)).done, /^OK/);
    assert.match((await c.cmd(`CHECKSCRIPT ${literal('if { stop; }')}`)).done, /^NO "line 1/);
    assert.match((await c.cmd('PUTSCRIPT "bad\u0001name" "keep;"')).done, /^NO .*control/);
    assert.match((await c.cmd(Buffer.from('PUTSCRIPT "x" "\xff"\r\n', 'latin1'))).done, /^NO .*UTF-8/);

    let list = await c.cmd('LISTSCRIPTS');
    assert.deepEqual(list.lines.sort(), ['"main"', '"other"', '"quoted"']);
    assert.match((await c.cmd('SETACTIVE "nope"')).done, /^NO \(NONEXISTENT\)/);
    assert.match((await c.cmd('SETACTIVE "main"')).done, /^OK/);
    list = await c.cmd('LISTSCRIPTS');
    assert.ok(list.lines.includes('"main" ACTIVE'));

    const get = await c.cmd('GETSCRIPT "main"');
    assert.deepEqual(get.lines, [SCRIPT]);
    assert.match(get.done, /^OK/);
    assert.match((await c.cmd('GETSCRIPT "nope"')).done, /^NO \(NONEXISTENT\)/);

    assert.match((await c.cmd('DELETESCRIPT "main"')).done, /^NO \(ACTIVE\)/);
    assert.match((await c.cmd('DELETESCRIPT "nope"')).done, /^NO \(NONEXISTENT\)/);
    assert.match((await c.cmd('RENAMESCRIPT "nope" "x"')).done, /^NO \(NONEXISTENT\)/);
    assert.match((await c.cmd('RENAMESCRIPT "main" "other"')).done, /^NO \(ALREADYEXISTS\)/);
    assert.match((await c.cmd('RENAMESCRIPT "main" "renamed"')).done, /^OK/);
    list = await c.cmd('LISTSCRIPTS');
    assert.ok(list.lines.includes('"renamed" ACTIVE'), list.lines.join(' '));
    assert.match((await c.cmd('DELETESCRIPT "other"')).done, /^OK/);
    assert.match((await c.cmd('SETACTIVE ""')).done, /^OK/);
    assert.match((await c.cmd('DELETESCRIPT "renamed"')).done, /^OK/);
    assert.deepEqual((await c.cmd('LISTSCRIPTS')).lines, ['"quoted"']);
    assert.match((await c.cmd('DELETESCRIPT "quoted"')).done, /^OK/);
  } finally {
    c.close();
  }
});

test('limits: too many scripts, an oversized literal, an over-long line, a quoted string over 1024 bytes', async () => {
  const c = await loggedIn(port);
  try {
    for (let i = 0; i < 20; i++) assert.match((await c.cmd(`PUTSCRIPT "s${i}" "keep;"`)).done, /^OK/);
    assert.match((await c.cmd('PUTSCRIPT "s20" "keep;"')).done, /^NO \(QUOTA\/MAXSCRIPTS\)/);
    assert.match((await c.cmd('HAVESPACE "s20" 10')).done, /^NO \(QUOTA\/MAXSCRIPTS\)/);
    assert.match((await c.cmd('PUTSCRIPT "s0" "discard;"')).done, /^OK/, 'replacing needs no new slot');

    // Larger than the script limit plus slack: read and dropped, NO (QUOTA/MAXSIZE), session in step.
    const big = `# ${'x'.repeat(200 * 1024)}\r\nkeep;\r\n`;
    assert.match((await c.cmd(`PUTSCRIPT "big" ${literal(big)}`, 15_000)).done, /^NO \(QUOTA\/MAXSIZE\)/);
    // Under the receiver's bound but over the script limit: the domain's check answers.
    const mid = `# ${'y'.repeat(129 * 1024)}\r\nkeep;\r\n`;
    assert.match((await c.cmd(`PUTSCRIPT "s1" ${literal(mid)}`, 15_000)).done, /^NO \(QUOTA\/MAXSIZE\)/);
    assert.match((await c.cmd(`NOOP "${'z'.repeat(1025)}"`)).done, /^NO .*1024/);
    assert.match((await c.cmd(`NOOP ${'a'.repeat(20000)}`)).done, /^NO .*too long/);
    assert.match((await c.cmd('NOOP "still here"')).done, /^OK \(TAG "still here"\)/);
    for (let i = 0; i < 20; i++) await c.cmd(`DELETESCRIPT "s${i}"`);
    assert.deepEqual((await c.cmd('LISTSCRIPTS')).lines, []);
    // A literal size nobody can mean ends the session.
    c.write('PUTSCRIPT "x" {99999999999999999+}\r\n');
    assert.match(await c.readLine(), /^BYE/);
    await c.waitClosed();
  } finally {
    c.close();
  }
});

test('pipelined commands are answered in order; bytes sent before STARTTLS completes are dropped', async () => {
  const c = await loggedIn(port);
  try {
    c.write(`NOOP "1"\r\nPUTSCRIPT "p" ${literal('keep;')}\r\nNOOP "2"\r\nDELETESCRIPT "p"\r\n`);
    assert.match((await c.response()).done, /TAG "1"/);
    assert.match((await c.response()).done, /^OK/);
    assert.match((await c.response()).done, /TAG "2"/);
    assert.match((await c.response()).done, /^OK/);
  } finally {
    c.close();
  }
  // STARTTLS injection: a command glued to STARTTLS must not run after the handshake.
  const { client } = await RawSieve.connect(port);
  try {
    client.write('STARTTLS\r\nNOOP "injected"\r\n');
    assert.match((await client.response()).done, /^OK/);
    const plain = client.socket;
    plain.removeAllListeners('data');
    const { connect } = await import('node:tls');
    const s = connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((r, j) => s.once('secureConnect', () => r()).once('error', j));
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString()));
    s.write('NOOP "after"\r\n');
    const end = Date.now() + 5000;
    while (!text.includes('TAG "after"') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.match(text, /TAG "after"/);
    assert.doesNotMatch(text, /injected/);
    s.destroy();
  } finally {
    client.close();
  }
});

test('UNAUTHENTICATE and LOGOUT', async () => {
  const c = await loggedIn(port);
  assert.match((await c.cmd('UNAUTHENTICATE')).done, /^OK/);
  assert.match((await c.cmd('LISTSCRIPTS')).done, /^NO "Authenticate first"/);
  assert.match((await c.login()).done, /^OK/);
  assert.match((await c.cmd('LOGOUT')).done, /^OK/);
  await c.waitClosed();
});

test('an administrator lock refuses every change; reading still works', async () => {
  const c = await loggedIn(port);
  try {
    assert.match((await c.cmd(`PUTSCRIPT "mine" ${literal(SCRIPT)}`)).done, /^OK/);
    assert.equal(srv.admin('address', 'set', USER, '--rules', 'deny').code, 0);
    assert.match((await c.cmd(`PUTSCRIPT "mine" ${literal('keep;')}`)).done, /^NO .*locked/);
    assert.match((await c.cmd('SETACTIVE "mine"')).done, /^NO .*locked/);
    assert.match((await c.cmd('RENAMESCRIPT "mine" "x"')).done, /^NO .*locked/);
    assert.match((await c.cmd('DELETESCRIPT "mine"')).done, /^NO .*locked/);
    assert.deepEqual((await c.cmd('LISTSCRIPTS')).lines, ['"mine"']);
    assert.match((await c.cmd('GETSCRIPT "mine"')).done, /^OK/);
    assert.match((await c.cmd(`CHECKSCRIPT ${literal('keep;')}`)).done, /^OK/);
    assert.equal(srv.admin('address', 'set', USER, '--rules', 'allow').code, 0);
    assert.match((await c.cmd('DELETESCRIPT "mine"')).done, /^OK/);
  } finally {
    c.close();
  }
});

test('raw scripts only on plans with advanced mode (Starter refuses them)', async () => {
  assert.equal(srv.admin('plan', 'set', 'example.test', 'starter').code, 0);
  const c = await loggedIn(port);
  try {
    const r = await c.cmd(`PUTSCRIPT "mine" ${literal('keep;')}`);
    assert.match(r.done, /^NO .*not available on the Mail Starter plan/);
    assert.match((await c.cmd('LISTSCRIPTS')).done, /^OK/);
  } finally {
    c.close();
    assert.equal(srv.admin('plan', 'set', 'example.test', 'premium').code, 0);
  }
});
