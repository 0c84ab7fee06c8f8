import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startListeners, type Connection } from './listener.js';
import { silentLogger } from './logger.js';

/** A plain listener whose connections are handed to the test as they come. */
async function listen(onConn: (conn: Connection) => void) {
  const running = await startListeners([{ name: 'imap', port: 0, tls: 'none', handler: onConn }], {
    bind: '127.0.0.1',
    tls: () => {
      throw new Error('no TLS in this test');
    },
    log: silentLogger(),
    maxConnectionsPerIp: 10,
    proxyProtocol: false,
  });
  return running;
}

function nextConnection(): { handler: (c: Connection) => void; conn: Promise<Connection> } {
  let resolve!: (c: Connection) => void;
  const conn = new Promise<Connection>((r) => (resolve = r));
  return { handler: (c) => resolve(c), conn };
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition not reached in 2 s');
};

test('listener: what a connection holds is released once, when it closes, or at once after', async () => {
  const next = nextConnection();
  const running = await listen(next.handler);
  try {
    const released: number[] = [];
    const holder = { release: (key: number) => void released.push(key) };
    const client = connect(running.ports['imap']!, '127.0.0.1');
    const conn = await next.conn;
    conn.releaseAtClose(holder, 1);
    conn.releaseAtClose(holder, 2);
    assert.deepEqual(released, [], 'nothing released while open');
    client.destroy();
    await until(() => released.length === 2);
    assert.deepEqual(released.sort(), [1, 2]);
    // A login that completes after the client left gives its slot back at once.
    conn.releaseAtClose(holder, 3);
    assert.deepEqual(released.sort(), [1, 2, 3]);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(released.length, 3, 'released no more than once');
  } finally {
    await running.close(0);
  }
});

test('listener: every shutdown handler of a connection is called once at close', async () => {
  const next = nextConnection();
  const running = await listen(next.handler);
  const client = connect(running.ports['imap']!, '127.0.0.1');
  client.on('error', () => undefined);
  const conn = await next.conn;
  const calls: string[] = [];
  conn.onShutdown({ onServerShutdown: () => void calls.push('a') });
  conn.onShutdown({ onServerShutdown: () => void calls.push('b') });
  conn.onShutdown({ onServerShutdown: () => void calls.push('c') });
  await running.close(0);
  assert.deepEqual(calls, ['a', 'b', 'c']);
  client.destroy();
});
