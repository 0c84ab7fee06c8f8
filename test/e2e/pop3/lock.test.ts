// The maildrop lock across processes: two servers on one store (here two store handles, which share
// nothing but the database, as two processes would) let only one POP3 session in; a lock left by a
// crashed session lapses by itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCore, type TestCore } from '../../kit/core.js';
import { openStore } from '../../../src/store/open.js';
import { createCoreEvents, type Core } from '../../../src/core/context.js';
import type { Store } from '../../../src/store/ports.js';
import { loadTls } from '../../../src/server/tls.js';
import { startListeners, type RunningListeners } from '../../../src/server/listener.js';
import { testTlsFront } from '../../kit/tls-front.js';
import { silentLogger } from '../../../src/server/logger.js';
import { addAddress, addDomain } from '../../../src/core/directory/admin.js';
import { createPop3Handler } from '../../../src/pop3/server.js';
import { RawPop3 } from './harness.js';

let tc: TestCore;
let second: Store;
const running: RunningListeners[] = [];
const ports: number[] = [];

async function serve(core: Core): Promise<number> {
  const tls = await loadTls({ cert: '', key: '', dataDir: tc.dataDir, hostname: 'localhost' });
  const l = await startListeners(
    [{ name: 'pop3s', port: 0, tls: 'implicit', handler: createPop3Handler(core) }],
    {
      bind: '127.0.0.1',
      tls: () => tls.context,
      log: silentLogger(),
      maxConnectionsPerIp: 10,
      proxyProtocol: false,
      tlsFront: testTlsFront(tls),
    },
  );
  running.push(l);
  return l.ports['pop3s']!;
}

before(async () => {
  tc = await makeCore('sqlite');
  second = await openStore(tc.storeOptions);
  const other: Core = { ...tc.core, store: second, events: createCoreEvents() };
  ports.push(await serve(tc.core), await serve(other));
  await addDomain(tc.core, 'example.test');
  await addAddress(tc.core, 'a@example.test', { password: 'pass' });
  await addAddress(tc.core, 'b@example.test', { password: 'pass' });
});

after(async () => {
  for (const l of running) await l.close(500);
  await second?.close();
  await tc?.close();
});

test('one POP3 session per maildrop across two servers on the same store', async () => {
  const a = await RawPop3.connect(ports[0]!, true);
  assert.match(await a.login('a@example.test'), /^\+OK/);
  const b = await RawPop3.connect(ports[1]!, true);
  assert.match(await b.login('a@example.test'), /^-ERR \[IN-USE\]/);
  // Another maildrop is not affected.
  assert.match(await b.login('b@example.test'), /^\+OK/);
  assert.match(await a.cmd('QUIT'), /^\+OK/);
  const c = await RawPop3.connect(ports[1]!, true);
  assert.match(await c.login('a@example.test'), /^\+OK/);
  c.close();
  b.close();
});

test('a lock left by a crashed session lapses on its own', async () => {
  const account = await tc.core.store.directory.listAddresses();
  const b = account.find((x) => x.localPart === 'b')!;
  // What a killed process leaves behind: a lock nobody refreshes.
  const ttl = 3000;
  const setAt = Date.now();
  await tc.core.store.kv.set('pop3-lock', String(b.id), 'crashed-host:1:x', ttl);
  const c = await RawPop3.connect(ports[0]!, true);
  assert.match(await c.login('b@example.test'), /^-ERR \[IN-USE\]/);
  await new Promise((r) => setTimeout(r, Math.max(0, setAt + ttl + 100 - Date.now())));
  assert.match(await c.login('b@example.test'), /^\+OK/);
  c.close();
});
