// ManageSieve e2e helpers: the real server with one domain and address, sieve-connect (Debian
// package sieve-connect) run as an async child, and a raw client that understands literals.
import { spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { startServer, type ServiceName, type TestServer } from '../../kit/server.js';

export const USER = 'alice@example.test';
export const PASSWORD = 'correct horse battery';

export async function startSieveServer(services: ServiceName[] = ['managesieve']): Promise<TestServer> {
  const srv = await startServer({ services });
  for (const args of [
    ['domain', 'add', 'example.test'],
    ['address', 'add', USER, '--password', PASSWORD],
  ]) {
    const r = srv.admin(...args);
    if (r.code !== 0) throw new Error(`admin ${args.join(' ')}: ${r.stderr}`);
  }
  return srv;
}

export function admin(srv: TestServer, ...args: string[]): string {
  const r = srv.admin(...args);
  if (r.code !== 0) throw new Error(`admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs sieve-connect with the password on fd 3 (never on the command line); async, so the test process keeps serving. */
export function sieveConnect(
  port: number,
  args: string[],
  password = PASSWORD,
  user = USER,
): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'sieve-connect',
      ['-s', '127.0.0.1', '-p', String(port), '-u', user, '--passwordfd', '3', '--notlsverify', ...args],
      { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const fd3 = p.stdio[3] as NodeJS.WritableStream;
    fd3.end(`${password}\n`);
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface Response {
  /** Lines before the final one; a literal is one entry holding its text. */
  lines: string[];
  /** The OK / NO / BYE line. */
  done: string;
}

/** A raw ManageSieve client: write anything, read responses up to OK/NO/BYE with literals decoded. */
export class RawSieve {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  static async connect(port: number): Promise<{ client: RawSieve; greeting: Response }> {
    const s = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
    const client = new RawSieve(s);
    return { client, greeting: await client.response() };
  }

  /** STARTTLS, the handshake, and the re-issued capabilities (RFC 5804 §2.2). */
  async startTls(): Promise<{ ok: Response; after: Response }> {
    const ok = await this.cmd('STARTTLS');
    if (!ok.done.startsWith('OK')) throw new Error(`STARTTLS refused: ${ok.done}`);
    const plain = this.socket as Socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const s = tlsConnect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((r, j) => s.once('secureConnect', () => r()).once('error', j));
    this.socket = s;
    this.buf = Buffer.alloc(0);
    this.attach(s);
    return { ok, after: await this.response() };
  }

  async login(user = USER, password = PASSWORD): Promise<Response> {
    const b64 = Buffer.from(`\0${user}\0${password}`).toString('base64');
    return this.cmd(`AUTHENTICATE "PLAIN" "${b64}"`);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string | Buffer, timeoutMs = 5000): Promise<Response> {
    this.write(typeof line === 'string' ? `${line}\r\n` : line);
    return this.response(timeoutMs);
  }

  private async need(pred: () => boolean, timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (this.closed) throw new Error(`connection closed; buffer: ${JSON.stringify(this.buf.toString())}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timeout; buffer: ${JSON.stringify(this.buf.toString())}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async readLine(timeoutMs = 5000): Promise<string> {
    await this.need(() => this.buf.indexOf('\r\n') >= 0, timeoutMs);
    const i = this.buf.indexOf('\r\n');
    const line = this.buf.subarray(0, i).toString('utf8');
    this.buf = this.buf.subarray(i + 2);
    const m = /\{(\d+)\}$/.exec(line);
    if (!m) return line;
    const n = Number(m[1]);
    await this.need(() => this.buf.length >= n, timeoutMs);
    const lit = this.buf.subarray(0, n).toString('utf8');
    this.buf = this.buf.subarray(n);
    // The rest of the line after the literal (usually just CRLF), appended to the literal's prefix.
    const rest = await this.readLine(timeoutMs);
    return line.slice(0, m.index) + lit + rest;
  }

  async response(timeoutMs = 5000): Promise<Response> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine(timeoutMs);
      if (/^(OK|NO|BYE)\b/.test(line)) return { lines, done: line };
      lines.push(line);
    }
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.need(() => this.closed, timeoutMs).catch(() => undefined);
    if (!this.closed) throw new Error('connection still open');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A logged-in raw session over STARTTLS. */
export async function loggedIn(port: number, user = USER, password = PASSWORD): Promise<RawSieve> {
  const { client } = await RawSieve.connect(port);
  await client.startTls();
  const r = await client.login(user, password);
  if (!r.done.startsWith('OK')) throw new Error(`login failed: ${r.done}`);
  return client;
}

export function literal(s: string): string {
  return `{${Buffer.byteLength(s)}+}\r\n${s}`;
}
