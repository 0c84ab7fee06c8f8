// COMPRESS=DEFLATE (RFC 4978) against the real server with a raw TLS socket and node:zlib: the tagged OK
// in clear, then raw DEFLATE both ways, every response decodable at once (sync flush), literals and a
// large FETCH through it; imapflow (which compresses when offered) in the other e2e files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type TLSSocket } from 'node:tls';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw } from 'node:zlib';
import { RawClient, sampleMessage, startImap, type ImapServer } from './harness.js';

let srv: ImapServer;
before(async () => {
  srv = await startImap();
});
after(async () => {
  await srv.close();
});

/** A client speaking in clear until `compress()`, then through raw DEFLATE. */
class ZClient {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private deflate: DeflateRaw | null = null;
  private n = 0;

  private constructor(private readonly socket: TLSSocket) {
    socket.on('data', this.take);
  }

  private readonly take = (d: Buffer): void => {
    this.buf = Buffer.concat([this.buf, d]);
    this.wake?.();
  };

  static async open(): Promise<ZClient> {
    const s = connect({ host: '127.0.0.1', port: srv.ports.imaps, rejectUnauthorized: false });
    await new Promise<void>((r, j) => s.once('secureConnect', () => r()).once('error', j));
    const c = new ZClient(s);
    await c.line();
    return c;
  }

  /** After COMPRESS's OK: inflate what arrives, deflate (with a sync flush) what is sent. */
  compress(): void {
    const inflate = createInflateRaw();
    this.socket.off('data', this.take);
    this.socket.on('data', (d: Buffer) => inflate.write(d));
    inflate.on('data', this.take);
    this.deflate = createDeflateRaw();
    this.deflate.on('data', (d: Buffer) => this.socket.write(d));
    // Anything already received after the OK was compressed.
    const early = this.buf;
    this.buf = Buffer.alloc(0);
    if (early.length) inflate.write(early);
  }

  send(data: string | Buffer): void {
    if (!this.deflate) {
      this.socket.write(data);
      return;
    }
    this.deflate.write(data);
    this.deflate.flush(constants.Z_SYNC_FLUSH);
  }

  async line(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.subarray(0, i).toString('utf8');
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timeout; have ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          r();
        };
      });
    }
  }

  /** `n` raw bytes (a literal's data). */
  async bytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 5000);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          r();
        };
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async cmd(command: string): Promise<{ lines: string[]; done: string }> {
    const tag = `Z${++this.n}`;
    this.send(`${tag} ${command}\r\n`);
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l.startsWith(`${tag} `)) return { lines, done: l };
      lines.push(l);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

test('COMPRESS DEFLATE: OK in clear, then commands, a synchronising literal and a large FETCH deflated', async () => {
  const c = await ZClient.open();
  assert.match((await c.cmd(`LOGIN ${srv.user} "${srv.password}"`)).done, /OK/);
  let r = await c.cmd('CAPABILITY');
  assert.match(r.lines[0]!, / COMPRESS=DEFLATE/);
  r = await c.cmd('COMPRESS DEFLATE');
  assert.match(r.done, /^Z\d+ OK/);
  c.compress();

  r = await c.cmd('SELECT INBOX');
  assert.match(r.done, /OK \[READ-WRITE\]/);
  // A synchronising literal: the continuation request comes back compressed, then the data goes.
  const body = `${'All work and no play makes Jack a dull boy. '.repeat(20)}\r\n`.repeat(400);
  const msg = sampleMessage('big one', body);
  c.send(`Z100 APPEND INBOX {${msg.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  c.send(Buffer.concat([msg, Buffer.from('\r\n')]));
  let l: string;
  while (!(l = await c.line()).startsWith('Z100 ')) assert.ok(l.startsWith('* '), l);
  assert.match(l, /OK \[APPENDUID \d+ 1\]/);

  c.send('Z101 FETCH 1 (BODY.PEEK[])\r\n');
  const head = await c.line();
  const m = /^\* 1 FETCH \(BODY\[\] \{(\d+)\}$/.exec(head);
  assert.ok(m, head);
  assert.equal(Number(m[1]), msg.length);
  assert.ok((await c.bytes(msg.length)).equals(msg));
  assert.equal(await c.line(), ')');
  assert.match(await c.line(), /^Z101 OK/);

  // Once on, another COMPRESS is refused (RFC 4978 §3).
  r = await c.cmd('COMPRESS DEFLATE');
  assert.match(r.done, /NO \[COMPRESSIONACTIVE\]/);
  r = await c.cmd('LOGOUT');
  assert.deepEqual(r.lines, ['* BYE Logging out']);
  assert.match(r.done, /OK/);
  c.close();
});

test('COMPRESS: unknown mechanism BAD, not before login', async () => {
  const c = await RawClient.tls(srv.ports.imaps);
  assert.match((await c.cmd('COMPRESS DEFLATE')).done, /BAD/);
  await c.cmd(`LOGIN ${srv.user} "${srv.password}"`);
  assert.match((await c.cmd('COMPRESS LZ4')).done, /BAD/);
  assert.match((await c.cmd('COMPRESS')).done, /BAD/);
  // Still uncompressed after the refusals.
  assert.match((await c.cmd('NOOP')).done, /OK/);
  c.close();
});
