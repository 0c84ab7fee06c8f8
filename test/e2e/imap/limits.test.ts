// Limits: a session flooding commands is slowed to the configured rate after its burst.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startImap, type ImapServer } from './harness.js';

let srv: ImapServer;
before(async () => {
  srv = await startImap({ commandsPerSecond: 50, commandBurst: 5 });
});
after(async () => {
  await srv.close();
});

test('command rate: after the burst, pipelined commands are answered at the sustained rate', async () => {
  const c = await RawClient.tls(srv.ports.imaps);
  assert.match((await c.cmd(`LOGIN ${srv.user} "${srv.password}"`)).done, /OK/);
  const start = Date.now();
  const n = 30;
  c.write(Array.from({ length: n }, (_, i) => `N${i} NOOP\r\n`).join(''));
  for (let i = 0; i < n; i++) {
    for (;;) {
      const l = await c.readLine(5000);
      if (l.startsWith(`N${i} `)) {
        assert.match(l, /OK/);
        break;
      }
    }
  }
  // 30 commands, 4 of the burst left after LOGIN: at least 25 waited 20 ms each.
  assert.ok(Date.now() - start >= 450, `took ${Date.now() - start} ms`);
  c.close();
});
