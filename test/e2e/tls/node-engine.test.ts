// tls.engine = "node": implicit TLS by Node's TLSSocket, with the same handshake timeout as the
// native front.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { startServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

function sockets(pid: number): number {
  let n = 0;
  for (const f of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${f}`).startsWith('socket:')) n++;
    } catch {
      /* closed while we looked */
    }
  }
  return n;
}

test('node engine: imaplib logs in; a client that never finishes its handshake is dropped', async () => {
  const srv = await startServer({ services: ['imaps'], tlsEngine: 'node', handshakeTimeout: 2 });
  try {
    assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(srv.admin('address', 'add', 'n@example.test', '--password', 'pass').code, 0);
    const r = await python(`
m = imap(${srv.ports.imaps}, "n@example.test", "pass")
print(m.select("INBOX")[0]); m.logout()`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), 'OK');

    const before = sockets(srv.proc.pid!);
    const t0 = Date.now();
    const silent = netConnect(srv.ports.imaps, '127.0.0.1');
    silent.on('error', () => undefined);
    const stalled = netConnect(srv.ports.imaps, '127.0.0.1', () =>
      stalled.write(Buffer.from([0x16, 0x03, 0x01])),
    );
    stalled.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 500));
    // Node's TLS keeps the accepted socket itself: one descriptor per connection, no pair.
    assert.equal(sockets(srv.proc.pid!) - before, 2);
    const closedAt = (s: Socket) => new Promise<number>((res) => s.once('close', () => res(Date.now() - t0)));
    for (const ms of await Promise.all([closedAt(silent), closedAt(stalled)])) {
      assert.ok(ms >= 1900 && ms < 6000, `closed after ${ms} ms`);
    }
  } finally {
    await srv.cleanup();
  }
});
