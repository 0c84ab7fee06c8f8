// Autologout (RFC 1939 §3): a silent client is dropped without UPDATE, between commands and inside an
// AUTH exchange alike. In-process with short timeouts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCore, type TestCore } from '../../kit/core.js';
import { loadTls } from '../../../src/server/tls.js';
import { startListeners, type RunningListeners } from '../../../src/server/listener.js';
import { testTlsFront } from '../../kit/tls-front.js';
import { silentLogger } from '../../../src/server/logger.js';
import { addAddress, addDomain } from '../../../src/core/directory/admin.js';
import { createPop3Handler } from '../../../src/pop3/server.js';
import { RawPop3 } from './harness.js';

let tc: TestCore;
let listeners: RunningListeners;
let port: number;

before(async () => {
  tc = await makeCore('sqlite');
  const tls = await loadTls({ cert: '', key: '', dataDir: tc.dataDir, hostname: 'localhost' });
  const handler = createPop3Handler(tc.core, { preAuthTimeoutSeconds: 1, idleTimeoutSeconds: 1 });
  listeners = await startListeners([{ name: 'pop3s', port: 0, tls: 'implicit', handler }], {
    bind: '127.0.0.1',
    tls: () => tls.context,
    log: silentLogger(),
    maxConnectionsPerIp: 10,
    proxyProtocol: false,
    tlsFront: testTlsFront(tls),
  });
  port = listeners.ports['pop3s']!;
  await addDomain(tc.core, 'example.test');
  await addAddress(tc.core, 'a@example.test', { password: 'pass' });
});

after(async () => {
  await listeners?.close(500);
  await tc?.close();
});

test('a silent client is logged out before and after login', async () => {
  const c = await RawPop3.connect(port, true);
  assert.match(await c.line(3000), /^-ERR .*idle/);
  assert.ok(await c.waitClosed());
  const d = await RawPop3.connect(port, true);
  assert.match(await d.login('a@example.test'), /^\+OK/);
  assert.match(await d.line(3000), /^-ERR .*idle/);
  assert.ok(await d.waitClosed());
  // The lock went with it.
  const e = await RawPop3.connect(port, true);
  assert.match(await e.login('a@example.test'), /^\+OK/);
  e.close();
});

test('a stalled AUTH exchange times out too', async () => {
  const c = await RawPop3.connect(port, true);
  assert.match(await c.cmd('AUTH PLAIN'), /^\+ $/);
  assert.match(await c.line(3000), /^-ERR .*idle/);
  assert.ok(await c.waitClosed());
});
