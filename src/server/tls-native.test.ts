// The native TLS front's own record layer (native/tls-front/src/tls13_record.*): after a TLS 1.3
// handshake the addon frees OpenSSL's SSL object and protects the records itself. Checked here with
// real TLS clients (Node's and openssl s_client, both OpenSSL; GnuTLS's gnutls-cli) against an echo service on an
// in-process front: every suite, TLS 1.2 left on OpenSSL, resumption, KeyUpdate both ways, records
// split and merged on the wire, a tampered record, close_notify. Fails (does not skip) when the addon
// is not built: `npm install` builds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { loadTls } from './tls.js';
import { loadTlsFrontAddon, startTlsFront, type TlsFront } from './tls-native.js';

let dir: string;
let front: TlsFront;
let server: Server;
let port: number;
/** What the echo service received, over all sessions (a tampered record must add nothing). */
let received = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ms-tls13-'));
  const material = await loadTls({ cert: '', key: '', dataDir: dir, hostname: 'localhost' });
  const addon = loadTlsFrontAddon();
  assert.ok(!(addon instanceof Error), `the native TLS front is not built: ${String(addon)}`);
  front = startTlsFront(addon, { cert: material.cert, key: material.key, handshakeTimeoutMs: 5000 });
  // Paused at accept, as the real listener: the handshake's bytes stay in the kernel for the addon.
  server = createServer({ pauseOnConnect: true }, (raw) => {
    void front.adopt(raw).then((s) => {
      s?.on('data', (d: Buffer) => {
        received += d.length;
        s.write(d);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
after(async () => {
  await new Promise((r) => server?.close(r));
  front?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function connect(opts: ConnectionOptions = {}, to = port): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port: to, rejectUnauthorized: false, ...opts }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
}

/** Writes `data` (in pieces of `piece` bytes) and resolves with as many bytes echoed back. */
function echo(s: TLSSocket, data: Buffer, piece = data.length): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let n = 0;
    const onData = (d: Buffer) => {
      got.push(d);
      n += d.length;
      if (n >= data.length) {
        s.off('data', onData);
        resolve(Buffer.concat(got));
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed after ${n} of ${data.length} bytes`)));
    for (let i = 0; i < data.length; i += piece) s.write(data.subarray(i, i + piece));
  });
}

async function closed(s: TLSSocket): Promise<void> {
  if (s.destroyed) return;
  await new Promise((r) => s.once('close', r));
}

for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
  test(`TLS 1.3 ${suite}: 1 MB each way, byte for byte, on the addon's own records`, async () => {
    // Node's `ciphers` takes TLS 1.3 suites too: offered alone, the server has to take it.
    const s = await connect({ minVersion: 'TLSv1.3', ciphers: suite });
    try {
      assert.equal(s.getCipher().standardName, suite);
      const data = randomBytes(1 << 20);
      // Large writes (full records, several per system call) and small ones (one record each).
      assert.ok((await echo(s, data, 100_000)).equals(data));
      const small = randomBytes(4000);
      assert.ok((await echo(s, small, 7)).equals(small));
      assert.equal(front.ownRecords(), 1, 'the session no longer holds an SSL object');
      s.end();
      await closed(s);
    } finally {
      s.destroy();
    }
    await until(() => front.live() === 0, 'the session is gone');
    assert.equal(front.ownRecords(), 0);
  });
}

test('TLS 1.2 stays on OpenSSL record layer, and works', async () => {
  const s = await connect({ maxVersion: 'TLSv1.2' });
  assert.equal(s.getProtocol(), 'TLSv1.2');
  const data = randomBytes(200_000);
  assert.ok((await echo(s, data, 50_000)).equals(data));
  assert.equal(front.live(), 1);
  assert.equal(front.ownRecords(), 0);
  s.destroy();
  await until(() => front.live() === 0, 'the session is gone');
});

test('a session resumed with a ticket (fewer tickets sent) leaves OpenSSL too', async () => {
  const first = await connect({ minVersion: 'TLSv1.3' });
  // Tickets arrive after the handshake; the last one is the one to resume with.
  let ticket: Buffer | undefined;
  first.on('session', (t: Buffer) => (ticket = t));
  const a = randomBytes(30_000);
  assert.ok((await echo(first, a)).equals(a));
  await until(() => ticket !== undefined, 'a session ticket');
  first.end();
  await closed(first);
  const again = await connect({ minVersion: 'TLSv1.3', session: ticket! });
  assert.equal(again.isSessionReused(), true);
  const b = randomBytes(30_000);
  assert.ok((await echo(again, b)).equals(b));
  assert.equal(front.ownRecords(), 1);
  again.end();
  await closed(again);
  await until(() => front.live() === 0, 'the session is gone');
});

test('KeyUpdate from the client, with and without update_requested (openssl s_client k / K)', async () => {
  // Interactive s_client: a line "k" or "K" alone sends a KeyUpdate; anything else goes to the
  // server. -msg lists the handshake messages each way ("<<<": received from us).
  const p = spawn(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', '-msg', '-no_ign_eof'],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
  p.stderr.on('data', (d: Buffer) => (out += d.toString('latin1')));
  const ours = () => out.split('\n').filter((l) => /^<<< .*KeyUpdate/.test(l)).length;
  // A command must reach s_client alone in its read: it drops the rest of the buffer.
  const command = async (c: 'k' | 'K') => {
    const before = out.split('KEYUPDATE').length;
    p.stdin.write(`${c}\n`);
    await until(() => out.split('KEYUPDATE').length > before, `s_client sent KeyUpdate (${c})`);
  };
  try {
    await until(() => out.includes('Verify return code'), 's_client connected', 10_000);
    p.stdin.write('first line\n');
    await until(() => out.includes('first line\n'), 'echo of the first line');
    assert.equal(ours(), 0);
    // K (update_requested): we update our read key and answer with a KeyUpdate of our own, after
    // which s_client reads our echo only if our new write key is right.
    await command('K');
    p.stdin.write('after K\n');
    await until(() => out.includes('after K\n'), 'echo after KeyUpdate(update_requested)');
    assert.equal(ours(), 1, 'the server answered update_requested with its own KeyUpdate');
    // k (update_not_requested): only the client's keys change; we must not answer.
    await command('k');
    p.stdin.write('after k\n');
    await until(() => out.includes('after k\n'), 'echo after KeyUpdate(update_not_requested)');
    assert.equal(ours(), 1, 'no KeyUpdate answers update_not_requested');
    await command('K');
    p.stdin.write('after second K\n');
    await until(() => out.includes('after second K\n'), 'echo after a second generation of keys both ways');
    assert.equal(ours(), 2);
    assert.equal(front.ownRecords(), 1);
  } finally {
    p.stdin.end();
    p.kill();
  }
  await until(() => front.live() === 0, 'the session is gone');
});

for (const [name, priority] of [
  ['AES-GCM', 'NORMAL:-VERS-ALL:+VERS-TLS1.3'],
  ['ChaCha20-Poly1305', 'NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305'],
]) {
  test(`GnuTLS (gnutls-cli, another TLS 1.3 implementation than OpenSSL), ${name}: lines echoed in full`, async () => {
    const p = spawn('gnutls-cli', ['--insecure', '-p', String(port), '127.0.0.1', '--priority', priority!], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString('latin1')));
    p.stderr.on('data', (d: Buffer) => (err += d.toString('latin1')));
    const long = 'x'.repeat(40_000); // three records each way
    try {
      await until(() => front.live() === 1 && front.ownRecords() === 1, 'GnuTLS connected', 10_000);
      p.stdin.write('one line\n');
      await until(() => out.includes('one line\n'), 'echo of a short line');
      p.stdin.write(`${long}\n`);
      await until(() => out.includes(`${long}\n`), 'echo of a 40,000-byte line');
      assert.match(err + out, /TLS1\.3/);
      p.stdin.end(); // gnutls-cli then says close_notify and leaves
      await until(() => front.live() === 0, 'the session is gone');
    } finally {
      p.kill();
    }
  });
}

/**
 * A TCP relay in front of the service; `toServer` may rewrite or re-cut what the client sends
 * (it gets each chunk and a function to pass bytes on).
 */
async function relay(
  toServer: (chunk: Buffer, pass: (b: Buffer) => void) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const conns = new Set<Socket>();
  const r = createServer((c) => {
    const u = netConnect(port, '127.0.0.1');
    conns.add(c);
    conns.add(u);
    c.on('data', (d: Buffer) => toServer(d, (b) => u.write(b)));
    u.on('data', (d: Buffer) => c.write(d));
    const end = () => {
      c.destroy();
      u.destroy();
    };
    c.on('close', end).on('error', end);
    u.on('close', end).on('error', end);
  });
  await new Promise<void>((res) => r.listen(0, '127.0.0.1', res));
  return {
    port: (r.address() as { port: number }).port,
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise((res) => r.close(res));
    },
  };
}

test('records cut into pieces of 1 to 7 bytes on the wire, and many in one read: every byte', async () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 7;
  const r = await relay((chunk, pass) => {
    for (let i = 0; i < chunk.length;) {
      const n = 1 + rnd();
      pass(chunk.subarray(i, i + n));
      i += n;
    }
  });
  try {
    const s = await connect({ minVersion: 'TLSv1.3' }, r.port);
    const data = randomBytes(100_000);
    assert.ok((await echo(s, data, 3000)).equals(data));
    // Many small records written at once reach the addon together.
    s.cork();
    const burst = randomBytes(2000);
    const p = echo(s, burst, 10);
    s.uncork();
    assert.ok((await p).equals(burst));
    assert.equal(front.ownRecords(), 1);
    s.destroy();
  } finally {
    await r.close();
  }
  await until(() => front.live() === 0, 'the session is gone');
});

test('a record altered on the wire closes the session; nothing of it reaches the service', async () => {
  let tamper = false;
  const r = await relay((chunk, pass) => {
    if (tamper) {
      const b = Buffer.from(chunk);
      b[b.length - 1]! ^= 1; // a bit of the record's tag
      tamper = false;
      pass(b);
    } else {
      pass(chunk);
    }
  });
  try {
    const s = await connect({ minVersion: 'TLSv1.3' }, r.port);
    s.on('error', () => {}); // the server's alert may arrive as an error
    const ok = Buffer.from('before\n');
    assert.ok((await echo(s, ok)).equals(ok));
    const before = received;
    tamper = true;
    s.write('altered\n');
    await closed(s);
    assert.equal(received, before, 'the altered record was not handed to the service');
  } finally {
    await r.close();
  }
  await until(() => front.live() === 0 && front.ownRecords() === 0, 'the session is gone');
});

test("the client's close_notify ends the session; the server's comes back", async () => {
  const s = await connect({ minVersion: 'TLSv1.3' });
  const data = Buffer.from('last words\n');
  assert.ok((await echo(s, data)).equals(data));
  let ended = false;
  s.on('end', () => (ended = true));
  s.end();
  await closed(s);
  assert.equal(ended, true, 'the server closed its side in turn');
  await until(() => front.live() === 0, 'the session is gone');
});
