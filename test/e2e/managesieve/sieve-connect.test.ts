// ManageSieve with a real client: sieve-connect (Debian package sieve-connect) does STARTTLS,
// AUTHENTICATE PLAIN, PUTSCRIPT, LISTSCRIPTS, SETACTIVE, GETSCRIPT, CHECKSCRIPT and DELETESCRIPT.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from '../../kit/server.js';
import { sieveConnect, startSieveServer } from './harness.js';

let srv: TestServer;
let dir: string;
let port: number;

const GOOD =
  'require ["fileinto", "imap4flags"];\r\nif header :contains "subject" "invoice" {\r\n  addflag "\\\\Flagged";\r\n  fileinto "Bills";\r\n}\r\n# é ü — UTF-8 survives\r\n';
const BAD = 'require "fileinto";\nif header :contains "subject" "x" {\n  fileinto2 "A";\n}\n';

before(async () => {
  srv = await startSieveServer();
  port = srv.ports.managesieve;
  dir = mkdtempSync(join(tmpdir(), 'ms-sieve-connect-'));
  writeFileSync(join(dir, 'good.sieve'), GOOD);
  writeFileSync(join(dir, 'bad.sieve'), BAD);
});

after(async () => {
  await srv?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('upload, list, activate, download round-trips the script byte for byte', async () => {
  const up = await sieveConnect(port, [
    '--upload',
    '--localsieve',
    join(dir, 'good.sieve'),
    '--remotesieve',
    'main',
  ]);
  assert.equal(up.code, 0, up.stderr);
  const list = await sieveConnect(port, ['--list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^"main"\s*$/m);
  const act = await sieveConnect(port, ['--activate', '--remotesieve', 'main']);
  assert.equal(act.code, 0, act.stderr);
  const list2 = await sieveConnect(port, ['--list']);
  assert.match(list2.stdout, /^"main" ACTIVE\s*$/m);
  const out = join(dir, 'down.sieve');
  const down = await sieveConnect(port, ['--download', '--remotesieve', 'main', '--localsieve', out]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(readFileSync(out, 'utf8'), GOOD);
});

test('a script that does not compile is refused with line and column', async () => {
  const up = await sieveConnect(port, [
    '--upload',
    '--localsieve',
    join(dir, 'bad.sieve'),
    '--remotesieve',
    'bad',
  ]);
  assert.notEqual(up.code, 0);
  assert.match(up.stdout + up.stderr, /line 3, column 3: unknown command 'fileinto2'/);
  const check = await sieveConnect(port, ['--checkscript', '--localsieve', join(dir, 'bad.sieve')]);
  assert.notEqual(check.code, 0);
  assert.match(check.stdout + check.stderr, /line 3, column 3/);
  const ok = await sieveConnect(port, ['--checkscript', '--localsieve', join(dir, 'good.sieve')]);
  assert.equal(ok.code, 0, ok.stderr);
  const list = await sieveConnect(port, ['--list']);
  assert.doesNotMatch(list.stdout, /"bad"/);
});

test('the active script cannot be deleted; after deactivating it can', async () => {
  const del = await sieveConnect(port, ['--delete', '--remotesieve', 'main']);
  assert.notEqual(del.code, 0);
  assert.match(del.stdout + del.stderr, /ACTIVE/);
  const deact = await sieveConnect(port, ['--deactivate']);
  assert.equal(deact.code, 0, deact.stderr);
  const del2 = await sieveConnect(port, ['--delete', '--remotesieve', 'main']);
  assert.equal(del2.code, 0, del2.stderr);
  const list = await sieveConnect(port, ['--list']);
  assert.doesNotMatch(list.stdout, /"main"/);
});

test('a wrong password fails the login', async () => {
  const r = await sieveConnect(port, ['--list'], 'wrong password');
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /auth|fail/i);
});
