// POP3 e2e kit: the real server with the listeners POP3 needs, a fresh address per test, mail
// delivered over SMTP to the MX, and a raw line client for the paths real clients never take.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

export const PASSWORD = 'pass';

export async function startPop3Server(): Promise<TestServer> {
  const srv = await startServer({ services: ['smtp', 'pop3', 'pop3s', 'imaps'] });
  const r = srv.admin('domain', 'add', 'example.test');
  assert.equal(r.code, 0, r.stderr);
  return srv;
}

/** A fresh mailbox address (so tests never share a maildrop). */
export function newUser(srv: TestServer): string {
  const user = `u${randomBytes(4).toString('hex')}@example.test`;
  const r = srv.admin('address', 'add', user, '--password', PASSWORD);
  assert.equal(r.code, 0, r.stderr);
  return user;
}

export async function py(code: string): Promise<string> {
  const r = await python(code);
  assert.equal(r.code, 0, `python failed:\n${r.err}\n${r.out}`);
  return r.out.trim();
}

/** Delivers messages to `to` through the MX port; returns their subjects, in order. */
export async function deliver(
  srv: TestServer,
  to: string,
  count: number,
  body = 'hello\\r\\n',
): Promise<string[]> {
  const out = await py(`
subjects = []
s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=20)
for i in range(${count}):
    m = msg("sender@remote.test", "${to}", body="${body}")
    s.send_message(m, from_addr="sender@remote.test", to_addrs=["${to}"])
    subjects.append(m["Subject"])
s.quit()
print(json.dumps(subjects))
`);
  return JSON.parse(out) as string[];
}

/** A POP3 client that speaks raw lines: for error paths, pipelining and exact replies. */
export class RawPop3 {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private ended = false;
  greeting = '';

  private constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  static async connect(port: number, tls = false): Promise<RawPop3> {
    const socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const c = new RawPop3(socket);
    c.greeting = await c.line();
    return c;
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    const end = () => {
      this.ended = true;
      for (const w of this.waiters.splice(0)) w();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** The next response line without CRLF; throws when the server closed first. */
  async line(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.subarray(0, i).toString('utf8');
        this.buf = this.buf.subarray(i + 2);
        return l;
      }
      if (this.ended) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timed out waiting for a line');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string): Promise<string> {
    this.send(line + '\r\n');
    return this.line();
  }

  /** A multi-line command: its status line and, on +OK, the un-stuffed lines up to ".". */
  async multi(line: string): Promise<{ status: string; lines: string[] }> {
    const status = await this.cmd(line);
    if (!status.startsWith('+OK')) return { status, lines: [] };
    return { status, lines: await this.body() };
  }

  async body(): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line();
      if (l === '.') return lines;
      lines.push(l.startsWith('.') ? l.slice(1) : l);
    }
  }

  /** STLS and the handshake on the same socket. */
  async stls(): Promise<void> {
    const r = await this.cmd('STLS');
    assert.match(r, /^\+OK/);
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    const tls = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', () => resolve());
      tls.once('error', reject);
    });
    this.socket = tls;
    this.attach(tls);
  }

  async login(user: string, password = PASSWORD): Promise<string> {
    assert.match(await this.cmd(`USER ${user}`), /^\+OK/);
    return this.cmd(`PASS ${password}`);
  }

  /** Waits until the server closes the connection (true) or the time is up (false). */
  async waitClosed(ms = 5000): Promise<boolean> {
    const end = Date.now() + ms;
    while (!this.ended && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    return this.ended;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Logged in over pop3s, ready for TRANSACTION commands. */
export async function session(srv: TestServer, user: string): Promise<RawPop3> {
  const c = await RawPop3.connect(srv.ports.pop3s, true);
  assert.match(await c.login(user), /^\+OK/);
  return c;
}
