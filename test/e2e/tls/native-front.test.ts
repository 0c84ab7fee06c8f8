// The native TLS front (tls.engine = "native") on the real server: IMAPS and POP3S through it with
// real clients (Python imaplib/poplib, imapflow, openssl s_client, Node's TLS client), large
// transfers both ways with a client that stops reading, TLS 1.2 and 1.3, many connections at once,
// hostile or vanishing clients, the handshake timeout, descriptors back to their count afterwards,
// and a graceful shutdown with sessions open. Fails (does not skip) when the addon is not built:
// `npm install` builds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { spawn } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { startServer, waitFor, type TestServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

const USER = 'tls@example.test';
const PASS = 'pass-word-1';
let srv: TestServer;

before(async () => {
  srv = await startServer({
    services: ['imaps', 'pop3s', 'submissions'],
    tlsEngine: 'native',
    handshakeTimeout: 2,
    extra: '[limits]\nconnections_per_ip = 1000\nconnections_per_user = 1000\n',
  });
  assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
  assert.equal(srv.admin('address', 'add', USER, '--password', PASS).code, 0);
});
after(async () => {
  await srv?.cleanup();
});

/** The server's open descriptors: sockets, and everything. */
function fds(pid: number): { sockets: number; all: number } {
  let sockets = 0;
  let all = 0;
  for (const n of readdirSync(`/proc/${pid}/fd`)) {
    all++;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${n}`).startsWith('socket:')) sockets++;
    } catch {
      /* closed while we looked */
    }
  }
  return { sockets, all };
}

/**
 * No more descriptors than before: "fewer" counts too, since a descriptor of an earlier test (a
 * closing connection, a SQLite file) may go away meanwhile, and waiting for equality then never ends.
 */
async function backToBaseline(base: { all: number }, what: string): Promise<void> {
  await waitFor(() => fds(srv.proc.pid!).all <= base.all, 15_000, `${what}: descriptors back to ${base.all}`);
}

function tls(
  port: number,
  opts: { minVersion?: 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {},
) {
  return new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => resolve(s));
    s.once('error', reject);
  });
}

/** A minimal IMAP line client over any socket: every byte kept, commands answered by tag. */
class Imap {
  buf = Buffer.alloc(0);
  private n = 0;
  private wake: (() => void) | null = null;
  closed = false;
  constructor(readonly s: Socket) {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    s.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    s.on('error', () => undefined);
  }
  async until(pred: (b: Buffer) => boolean, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pred(this.buf)) {
      if (this.closed) throw new Error(`closed; got: ${this.buf.subarray(-300).toString('latin1')}`);
      if (Date.now() > end) throw new Error(`timeout; got: ${this.buf.subarray(-300).toString('latin1')}`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 200);
      });
    }
  }
  async cmd(text: string): Promise<string> {
    const tag = `t${++this.n}`;
    const from = this.buf.length;
    this.s.write(`${tag} ${text}\r\n`);
    const done = new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r]*\\r\\n`);
    await this.until((b) => done.test(b.subarray(from).toString('latin1')));
    return this.buf.subarray(from).toString('latin1');
  }
}

async function login(port = srv.ports.imaps, opts = {}): Promise<Imap> {
  const c = new Imap(await tls(port, opts));
  await c.until((b) => b.includes('\r\n'));
  assert.match(await c.cmd(`LOGIN ${USER} ${PASS}`), /OK/);
  return c;
}

/** A message of `lines` distinct 80-byte lines: a lost, doubled or reordered chunk shows. */
function bigMessage(subject: string, lines: number): Buffer {
  const parts = [`From: a@example.test\r\nTo: ${USER}\r\nSubject: ${subject}\r\n\r\n`];
  for (let i = 0; i < lines; i++)
    parts.push(`${String(i).padStart(10, '0')} ${'abcdefghij'.repeat(6)}12345678\r\n`);
  return Buffer.from(parts.join(''));
}

test('imaplib over TLS 1.2 and 1.3: a 3 MB APPEND literal and its FETCH, every byte', async () => {
  const r = await python(`
body = b"From: a@example.test\\r\\nSubject: big\\r\\n\\r\\n" + b"".join(b"%010d" % i + b" " + b"q" * 67 + b"\\r\\n" for i in range(40000))
out = []
for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
    c = ctx(); c.minimum_version = v; c.maximum_version = v
    m = imaplib.IMAP4_SSL("127.0.0.1", ${srv.ports.imaps}, ssl_context=c, timeout=60)
    m.login("${USER}", "${PASS}")
    m.create("Big")
    typ, d = m.append("Big", None, None, body)
    uid = d[0].split(b"APPENDUID ")[1].split(b" ")[1].rstrip(b"]")
    m.select("Big")
    typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
    out.append([m.sock.version(), len(body), d[0][1] == body])
    m.logout()
print(json.dumps(out))`);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), [
    ['TLSv1.2', 3_200_038, true],
    ['TLSv1.3', 3_200_038, true],
  ]);
});

test('a client that stops reading mid-FETCH gets every byte once it reads again; the server stays responsive', async () => {
  const body = bigMessage('slow reader', 60_000);
  const c = await login();
  const lit = await c.cmd(`APPEND INBOX {${body.length}+}\r\n${body.toString('latin1')}`);
  const uid = /APPENDUID \d+ (\d+)/.exec(lit)?.[1];
  assert.ok(uid, lit);
  assert.match(await c.cmd('SELECT INBOX'), /OK/);
  c.s.pause();
  const tag = 'slow1';
  c.s.write(`${tag} UID FETCH ${uid} (BODY.PEEK[])\r\n`);
  // While this client reads nothing, the server fills the kernel's buffers and its own, then waits.
  await new Promise((r) => setTimeout(r, 1500));
  const other = await login();
  assert.match(await other.cmd('NOOP'), /OK/);
  await other.cmd('LOGOUT');
  c.s.resume();
  await c.until((b) => b.includes(`\r\n${tag} OK`), 60_000);
  const text = c.buf;
  const start = text.indexOf(`{${body.length}}\r\n`);
  assert.ok(start > 0);
  const got = text.subarray(text.indexOf('\r\n', start) + 2, text.indexOf('\r\n', start) + 2 + body.length);
  assert.ok(got.equals(body), 'the literal arrives intact');
  await c.cmd('LOGOUT');
});

/** The server's resident memory, in bytes. */
function rss(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
}

test('a client that reads nothing while 40 MB of FETCH responses are due: the server holds them back', async () => {
  const body = bigMessage('flood', 12_500); // ~1 MB
  const setup = await login();
  const lit = await setup.cmd(`APPEND INBOX {${body.length}+}\r\n${body.toString('latin1')}`);
  const uid = /APPENDUID \d+ (\d+)/.exec(lit)?.[1];
  assert.ok(uid, lit);
  await setup.cmd('LOGOUT');
  // A reader of its own: counting bytes, not keeping 40 MB.
  const s = await tls(srv.ports.imaps);
  let got = 0;
  let tail = '';
  s.on('data', (d: Buffer) => {
    got += d.length;
    tail = (tail + d.toString('latin1')).slice(-400);
  });
  const seen = (text: string, ms = 20_000) =>
    waitFor(() => tail.includes(text), ms, `"${text}" from the server`);
  s.write(`l1 LOGIN ${USER} ${PASS}\r\ns1 SELECT INBOX\r\n`);
  await seen('s1 OK');
  const pid = srv.proc.pid!;
  const before = rss(pid);
  s.pause();
  for (let i = 0; i < 40; i++) s.write(`f${i} UID FETCH ${uid} (BODY.PEEK[])\r\n`);
  // Kernel buffers fill, then the native thread stops taking bytes, then the session waits for
  // 'drain': what the server holds stays near one response, not the 40 still due.
  await new Promise((r) => setTimeout(r, 3000));
  const grown = rss(pid) - before;
  assert.ok(
    grown < 16 * 1024 * 1024,
    `server RSS grew ${Math.round(grown / 1024)} kB while the client read nothing`,
  );
  const stalledAt = got;
  assert.ok(stalledAt < 20 * body.length, `${stalledAt} bytes reached a client that reads nothing`);
  s.resume();
  await seen('f39 OK', 120_000);
  assert.ok(got > 40 * body.length, `${got} bytes for 40 responses of ${body.length}`);
  s.write('z LOGOUT\r\n');
  await seen('z OK');
  s.destroy();
});

test('imapflow: IDLE is told of a message appended by another session', async () => {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: srv.ports.imaps,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: USER, pass: PASS },
    logger: false,
  });
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  try {
    const seen = new Promise<number>((resolve) =>
      client.on('exists', (d: { count: number }) => resolve(d.count)),
    );
    void client.idle();
    await new Promise((r) => setTimeout(r, 200));
    const other = await login();
    const note = 'Subject: idle\r\n\r\nwake up\r\n';
    assert.match(await other.cmd(`APPEND INBOX {${note.length}+}\r\n${note}`), /OK/);
    await other.cmd('LOGOUT');
    assert.ok((await seen) >= 1);
  } finally {
    lock.release();
  }
  await client.logout();
});

test('openssl s_client with -tls1_2 and -tls1_3 gets the greeting and a LOGOUT', async () => {
  for (const v of ['-tls1_2', '-tls1_3']) {
    const out = await new Promise<string>((resolve) => {
      const p = spawn('openssl', [
        's_client',
        '-connect',
        `127.0.0.1:${srv.ports.imaps}`,
        v,
        '-quiet',
        '-ign_eof',
      ]);
      let o = '';
      p.stdout.on('data', (d: Buffer) => (o += d.toString()));
      p.stderr.on('data', () => undefined);
      setTimeout(() => p.stdin.end('a1 CAPABILITY\r\na2 LOGOUT\r\n'), 500);
      p.on('close', () => resolve(o));
      setTimeout(() => p.kill(), 15_000).unref();
    });
    assert.match(out, /^\* OK \[CAPABILITY /m, v);
    assert.match(out, /^a2 OK/m, v);
  }
});

test('200 connections at once talk IMAP over TLS, ten of them logged in; descriptors come back', async () => {
  const base = fds(srv.proc.pid!);
  // Password hashing costs ~100 ms of CPU per LOGIN: most sessions stay in the not-authenticated state.
  const clients = await Promise.all(
    Array.from({ length: 200 }, async () => {
      const c = new Imap(await tls(srv.ports.imaps));
      await c.until((b) => b.includes('\r\n'));
      return c;
    }),
  );
  try {
    // Natively each session holds one descriptor, its TCP socket (plaintext crosses without one).
    const open = fds(srv.proc.pid!);
    const added = open.sockets - base.sockets;
    assert.ok(added >= 200 && added < 210, `sockets ${base.sockets} -> ${open.sockets}`);
    const caps = await Promise.all(clients.map((c) => c.cmd('CAPABILITY')));
    for (const r of caps) assert.match(r, /^\* CAPABILITY IMAP4rev1 /m);
    await Promise.all(
      clients.slice(0, 10).map(async (c) => {
        assert.match(await c.cmd(`LOGIN ${USER} ${PASS}`), /OK/);
        assert.match(await c.cmd('SELECT INBOX'), /OK \[READ-WRITE\]/);
      }),
    );
    await Promise.all(clients.map((c) => c.cmd('LOGOUT')));
  } finally {
    for (const c of clients) c.s.destroy();
  }
  await backToBaseline(base, 'after 200 sessions');
});

test('garbage instead of a ClientHello: dropped, the server serves on, nothing leaks', async () => {
  const base = fds(srv.proc.pid!);
  for (const junk of [
    'a1 LOGIN plain text on a TLS port\r\n',
    Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, ...Array(300).fill(0x41)]),
    Buffer.from([0x16, 0x03, 0x03, 0x00, 0x05, 0x01, 0x00, 0x00, 0xff, 0xff]), // handshake length lies
    Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)),
  ]) {
    const s = netConnect(srv.ports.imaps, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.write(junk);
    s.resume(); // read (an alert, the FIN): a paused socket would never see the end
    await new Promise<void>((resolve, reject) => {
      s.once('close', () => resolve());
      setTimeout(() => reject(new Error('garbage connection not closed')), 10_000);
    });
  }
  const c = await login();
  assert.match(await c.cmd('NOOP'), /OK/);
  await c.cmd('LOGOUT');
  await backToBaseline(base, 'after garbage');
});

test('clients that vanish mid-handshake and mid-transfer free their slots', async () => {
  const base = fds(srv.proc.pid!);
  // Mid-handshake: a ClientHello cut in the middle, then the connection reset.
  for (let i = 0; i < 20; i++) {
    const s = netConnect(srv.ports.imaps, '127.0.0.1');
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    if (i % 2) s.resetAndDestroy();
    else s.destroy();
  }
  // Mid-transfer: a FETCH of the 3 MB message abandoned after its first bytes.
  for (let i = 0; i < 5; i++) {
    const c = await login();
    await c.cmd('SELECT Big');
    c.s.write('f1 FETCH 1 (BODY.PEEK[])\r\n');
    await c.until((b) => b.length > 100_000);
    c.s.destroy();
  }
  // Mid-APPEND: a literal announced and half sent.
  const c = await login();
  c.s.write(`a1 APPEND INBOX {5000000+}\r\n${'x'.repeat(1_000_000)}`);
  await new Promise((r) => setTimeout(r, 300));
  c.s.destroy();
  await backToBaseline(base, 'after vanishing clients');
  const ok = await login();
  assert.match(await ok.cmd('NOOP'), /OK/);
  await ok.cmd('LOGOUT');
});

test('a client that never finishes its handshake is dropped after handshake_timeout', async () => {
  const base = fds(srv.proc.pid!);
  const t0 = Date.now();
  const silent = netConnect(srv.ports.imaps, '127.0.0.1');
  silent.on('error', () => undefined);
  // The other one starts and stalls after its first bytes.
  const stalled = netConnect(srv.ports.imaps, '127.0.0.1', () =>
    stalled.write(Buffer.from([0x16, 0x03, 0x01])),
  );
  stalled.on('error', () => undefined);
  const closedAt = (s: Socket) => new Promise<number>((r) => s.once('close', () => r(Date.now() - t0)));
  const [a, b] = await Promise.all([closedAt(silent), closedAt(stalled)]);
  for (const ms of [a, b]) {
    assert.ok(ms >= 1900, `closed after ${ms} ms, before the 2 s timeout`);
    assert.ok(ms < 6000, `closed after ${ms} ms`);
  }
  await backToBaseline(base, 'after handshake timeouts');
});

test('TLS below 1.2 is refused', async () => {
  await assert.rejects(
    new Promise((resolve, reject) => {
      const s = tlsConnect(
        {
          host: '127.0.0.1',
          port: srv.ports.imaps,
          rejectUnauthorized: false,
          minVersion: 'TLSv1',
          maxVersion: 'TLSv1.1',
          ciphers: 'DEFAULT:@SECLEVEL=0',
        },
        () => resolve(s),
      );
      s.once('error', reject);
    }),
  );
});

test('POP3S through the native front; SMTP submission over TLS beside it (Node TLS: smtp-server needs a net.Socket)', async () => {
  const r = await python(`
p = poplib.POP3_SSL("127.0.0.1", ${srv.ports.pop3s}, context=ctx(), timeout=30)
p.user("${USER}"); p.pass_("${PASS}")
n, size = p.stat()
resp, lines, octets = p.retr(1)
p.quit()
s = smtplib.SMTP_SSL("127.0.0.1", ${srv.ports.submissions}, context=ctx(), timeout=30)
s.login("${USER}", "${PASS}")
s.send_message(msg("${USER}", "${USER}", subject="via 465"))
s.quit()
print(json.dumps([n >= 1, octets > 0, resp.decode()[:3]]))`);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), [true, true, '+OK']);
});

test('past the native session cap (half a low open-files limit), connections get Node TLS; all are served', async () => {
  // 400 descriptors: 200 native sessions at most, then Node's TLS; one descriptor each either way.
  const s3 = await startServer({
    services: ['imaps'],
    tlsEngine: 'native',
    nofile: 400,
    extra: '[limits]\nconnections_per_ip = 1000\n',
  });
  try {
    assert.equal(s3.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(s3.admin('address', 'add', USER, '--password', PASS).code, 0);
    const pid = s3.proc.pid!;
    const base = fds(pid);
    const clients: Imap[] = [];
    try {
      for (let i = 0; i < 230; i++) {
        const c = new Imap(await tls(s3.ports.imaps));
        await c.until((b) => b.includes('\r\n'));
        clients.push(c);
      }
      const added = fds(pid).sockets - base.sockets;
      assert.ok(added >= 230 && added < 240, `sockets added: ${added}, expected 230 × 1`);
      // The server said it turned connections away from the native front (once per burst).
      assert.match(s3.output(), /native TLS front could not take a connection/);
      // The first (native) and the last (Node TLS) sessions both log in and work.
      for (const c of [clients[0]!, clients[229]!]) {
        assert.match(await c.cmd(`LOGIN ${USER} ${PASS}`), /OK/);
        assert.match(await c.cmd('SELECT INBOX'), /OK/);
      }
      await Promise.all(clients.map((c) => c.cmd('LOGOUT')));
    } finally {
      for (const c of clients) c.s.destroy();
    }
    await waitFor(() => fds(pid).all <= base.all, 15_000, 'descriptors back');
  } finally {
    await s3.cleanup();
  }
});

test('SIGTERM with open native sessions: each is told BYE, the server exits 0', async () => {
  const s2 = await startServer({ services: ['imaps'], tlsEngine: 'native', handshakeTimeout: 30 });
  try {
    assert.equal(s2.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(s2.admin('address', 'add', USER, '--password', PASS).code, 0);
    const sessions = await Promise.all(Array.from({ length: 5 }, () => login(s2.ports.imaps)));
    await Promise.all(sessions.map((c) => c.cmd('SELECT INBOX')));
    // And one that is still in its handshake.
    const half = netConnect(s2.ports.imaps, '127.0.0.1');
    half.on('error', () => undefined);
    await new Promise((r) => half.once('connect', r));
    const t0 = Date.now();
    const code = await s2.stop();
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 10_000);
    for (const c of sessions) {
      await c.until((b) => b.includes('* BYE Server shutting down'), 5000);
      await waitFor(() => c.closed, 5000, 'session closed');
    }
  } finally {
    await s2.cleanup();
  }
});
