// A real IMAP server in-process for e2e tests: a fresh store, the self-signed certificate, both
// listeners (imap with STARTTLS, imaps) on 127.0.0.1 port 0, and one test account.
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { connect as netConnect, type Socket } from 'node:net';
import { makeCore, type TestCore } from '../../kit/core.js';
import { loadTls } from '../../../src/server/tls.js';
import { startListeners, type RunningListeners } from '../../../src/server/listener.js';
import { testTlsFront } from '../../kit/tls-front.js';
import { silentLogger } from '../../../src/server/logger.js';
import { addAddress, addDomain } from '../../../src/core/directory/admin.js';
import { createImapHandler, type ImapHandler, type ImapOptions } from '../../../src/imap/server.js';
import type { Account } from '../../../src/core/directory/accounts.js';

export interface ImapServer {
  tc: TestCore;
  ports: { imap: number; imaps: number };
  user: string;
  password: string;
  account: Account;
  handler: ImapHandler;
  close(): Promise<void>;
}

export async function startImap(opts: Partial<ImapOptions> = {}, quotaBytes?: number): Promise<ImapServer> {
  const tc = await makeCore('sqlite');
  const tls = await loadTls({ cert: '', key: '', dataDir: tc.dataDir, hostname: 'localhost' });
  const handler = createImapHandler(tc.core, { pollIntervalMs: 200, ...opts });
  const listeners: RunningListeners = await startListeners(
    [
      { name: 'imap', port: 0, tls: 'starttls', handler },
      { name: 'imaps', port: 0, tls: 'implicit', handler },
    ],
    {
      bind: '127.0.0.1',
      tls: () => tls.context,
      log: silentLogger(),
      maxConnectionsPerIp: 100,
      proxyProtocol: false,
      tlsFront: testTlsFront(tls),
    },
  );
  await addDomain(tc.core, 'example.test');
  const password = 'correct horse battery';
  const account = await addAddress(tc.core, 'alice@example.test', {
    password,
    displayName: 'Alice',
    ...(quotaBytes !== undefined ? { quotaBytes } : {}),
  });
  return {
    tc,
    ports: { imap: listeners.ports['imap']!, imaps: listeners.ports['imaps']! },
    user: 'alice@example.test',
    password,
    account,
    handler,
    async close() {
      await listeners.close(500);
      handler.close();
      await tc.close();
    },
  };
}

/** A raw line client: send a tagged command, get every line up to its tagged completion. */
export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  private n = 0;
  readonly untagged: string[] = [];

  constructor(public socket: Socket | TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async tls(port: number): Promise<RawClient> {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise<void>((r, j) => s.once('secureConnect', () => r()).once('error', j));
    const c = new RawClient(s);
    await c.readLine();
    return c;
  }

  static async plain(port: number): Promise<{ client: RawClient; greeting: string }> {
    const s = netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((r, j) => s.once('connect', () => r()).once('error', j));
    const c = new RawClient(s);
    return { client: c, greeting: await c.readLine() };
  }

  async startTls(): Promise<void> {
    const s = tlsConnect({ socket: this.socket as Socket, rejectUnauthorized: false });
    this.socket.removeAllListeners('data');
    await new Promise<void>((r, j) => s.once('secureConnect', () => r()).once('error', j));
    this.socket = s;
    this.buf = '';
    this.attach(s);
  }

  async readLine(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for a line; buffer: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  write(s: string | Buffer): void {
    this.socket.write(s);
  }

  /** Sends `tag command` and returns [untagged lines..., tagged line]. */
  async cmd(command: string, timeoutMs = 5000): Promise<{ lines: string[]; done: string }> {
    const tag = `T${++this.n}`;
    this.write(`${tag} ${command}\r\n`);
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine(timeoutMs);
      if (line.startsWith(`${tag} `)) return { lines, done: line };
      lines.push(line);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export function sampleMessage(subject: string, body = 'Hello there.\r\n', extra = ''): Buffer {
  return Buffer.from(
    `From: Bob Example <bob@example.org>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\n` +
      `Date: Mon, 7 Feb 2022 21:52:25 -0800\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.org>\r\n${extra}\r\n${body}`,
  );
}
