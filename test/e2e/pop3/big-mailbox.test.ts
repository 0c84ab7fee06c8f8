// A 50,000-message maildrop: login, STAT, LIST and UIDL answer quickly and read no message body
// (sizes and UIDs come from the message rows). The server runs in-process so the blob store can be
// watched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCore, type TestCore } from '../../kit/core.js';
import { loadTls } from '../../../src/server/tls.js';
import { startListeners, type RunningListeners } from '../../../src/server/listener.js';
import { testTlsFront } from '../../kit/tls-front.js';
import { silentLogger } from '../../../src/server/logger.js';
import { addAddress, addDomain } from '../../../src/core/directory/admin.js';
import { getFolder } from '../../../src/core/mailbox/folders.js';
import { createPop3Handler } from '../../../src/pop3/server.js';
import { RawPop3 } from './harness.js';

const COUNT = 50_000;
const USER = 'big@example.test';
let tc: TestCore;
let listeners: RunningListeners;
let bodyReads = 0;

before(async () => {
  tc = await makeCore('sqlite');
  const tls = await loadTls({ cert: '', key: '', dataDir: tc.dataDir, hostname: 'localhost' });
  listeners = await startListeners(
    [{ name: 'pop3s', port: 0, tls: 'implicit', handler: createPop3Handler(tc.core) }],
    {
      bind: '127.0.0.1',
      tls: () => tls.context,
      log: silentLogger(),
      maxConnectionsPerIp: 10,
      proxyProtocol: false,
      tlsFront: testTlsFront(tls),
    },
  );
  await addDomain(tc.core, 'example.test');
  const account = await addAddress(tc.core, USER, { password: 'pass' });
  const inbox = (await getFolder(tc.core, account.addressId, 'INBOX'))!;
  const raw = Buffer.from('Subject: bulk\r\n\r\nsame body\r\n');
  const blob = await tc.core.store.blobs.put(raw);
  for (let done = 0; done < COUNT;) {
    const n = Math.min(5000, COUNT - done);
    await tc.core.store.transaction(async (tx) => {
      for (let i = 0; i < n; i++)
        await tx.mail.appendMessage({
          mailboxId: inbox.id,
          blobHash: blob.hash,
          size: blob.size,
          internalDate: Date.now(),
          flags: [],
        });
    });
    done += n;
  }
  const blobs = tc.core.store.blobs;
  const get = blobs.get.bind(blobs);
  blobs.get = (hash: string) => {
    bodyReads++;
    return get(hash);
  };
});

after(async () => {
  await listeners?.close(500);
  await tc?.close();
});

test(`${COUNT} messages: login, STAT, LIST and UIDL are quick and read no body`, async (t) => {
  const c = await RawPop3.connect(listeners.ports['pop3s']!, true);
  const t0 = Date.now();
  assert.match(await c.login(USER), new RegExp(`^\\+OK .*${COUNT} messages`));
  const tLogin = Date.now() - t0;
  const stat = await c.cmd('STAT');
  assert.match(stat, new RegExp(`^\\+OK ${COUNT} \\d+$`));
  const t1 = Date.now();
  const list = await c.multi('LIST');
  const uidl = await c.multi('UIDL');
  const tLists = Date.now() - t1;
  assert.equal(list.lines.length, COUNT);
  assert.equal(uidl.lines.length, COUNT);
  assert.equal(new Set(uidl.lines.map((l) => l.split(' ')[1])).size, COUNT);
  assert.equal(bodyReads, 0, 'no message body is read for STAT/LIST/UIDL');
  // Generous bounds for a shared 2-core machine; typical runs are well under a second each.
  assert.ok(tLogin < 10_000, `login took ${tLogin} ms`);
  assert.ok(tLists < 10_000, `LIST + UIDL took ${tLists} ms`);
  const last = await c.multi(`RETR ${COUNT}`);
  assert.ok(last.lines.includes('same body'));
  assert.equal(bodyReads, 1);
  assert.match(await c.cmd('QUIT'), /^\+OK/);
  t.diagnostic(`${COUNT} messages: login ${tLogin} ms, LIST + UIDL ${tLists} ms`);
});
