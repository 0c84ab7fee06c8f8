// One POP3 connection: lines in through the bounded reader, one command at a time through the state
// gate and the command table, responses out with backpressure. Commands run strictly in order, which
// is all PIPELINING (RFC 2449 §6.6) asks of a server.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Core } from '../core/context.js';
import type { Connection, ConnectionSocket as Socket, ShutdownHandler } from '../server/listener.js';
import { refreshMaildropLock, unlockMaildrop } from '../core/mailbox/pop3-view.js';
import { Pop3LineReader, type LineResult } from './proto/line-reader.js';
import { parseCommand } from './proto/command.js';
import { errLine, okLine } from './proto/response.js';
import type { Pop3Options } from './options.js';
import type { Pop3State } from './state.js';
import type { CommandResult, Pop3SessionApi } from './session-api.js';
import { COMMANDS, isAllowed } from './command-table.js';
import { toPop3Error } from './errors.js';

/** Input held unread (pipelined commands) before the socket is paused. */
const IN_HIGH_WATER = 64 * 1024;

export class Pop3Session implements Pop3SessionApi, ShutdownHandler {
  state: Pop3State = { kind: 'authorization', user: undefined, failures: 0 };
  readonly id: string;
  private readonly reader = new Pop3LineReader();
  private socket: Socket;
  private wake: (() => void) | null = null;
  private closed = false;
  private busy = false;
  private shuttingDown = false;
  private badCommands = 0;
  private lock: { addressId: number; timer: NodeJS.Timeout } | undefined;

  constructor(
    readonly core: Core,
    readonly conn: Connection,
    readonly opts: Pop3Options,
  ) {
    this.socket = conn.socket;
    // Unique across processes and restarts: the owner value of the maildrop lock.
    this.id = `${hostname()}:${process.pid}:${conn.id}:${randomBytes(4).toString('hex')}`;
  }

  start(): void {
    this.attach(this.socket);
    this.conn.onShutdown(this);
    void this.run();
  }

  onServerShutdown(): void {
    // A command that is working (not waiting for the client) finishes first.
    if (this.busy && !this.wake) this.shuttingDown = true;
    else void this.goodbye();
  }

  // ---- transport ----------------------------------------------------------------------------------

  private attach(socket: Socket): void {
    socket.on('data', this.onData);
    socket.on('error', this.onClose);
    socket.on('close', this.onClose);
    socket.on('timeout', this.onTimeout);
    this.armTimeout();
  }

  private detach(socket: Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onClose);
    socket.off('close', this.onClose);
    socket.off('timeout', this.onTimeout);
  }

  private armTimeout(): void {
    const secs =
      this.state.kind === 'authorization' ? this.opts.preAuthTimeoutSeconds : this.opts.idleTimeoutSeconds;
    this.socket.setTimeout(secs * 1000);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    this.reader.push(chunk);
    if (this.reader.buffered > IN_HIGH_WATER) this.socket.pause();
    this.wake?.();
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.wake?.();
  };

  /** RFC 1939 §3 autologout: the session ends without entering UPDATE, so nothing is deleted. */
  private readonly onTimeout = (): void => {
    // Only while waiting for the client (between commands or inside AUTH), never mid-command.
    if (!this.wake) return;
    void this.write(errLine('Autologout; idle for too long')).then(() => this.end());
  };

  async write(data: string | Buffer): Promise<void> {
    if (this.closed || data.length === 0) return;
    if (this.socket.write(data)) return;
    const socket = this.socket;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  async readLine(maxLength: number): Promise<LineResult | null> {
    for (;;) {
      if (this.closed) return null;
      const r = this.reader.next(maxLength);
      if (r.kind !== 'needMore') return r;
      this.socket.resume();
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Flushes what was written, then closes; the command loop sees `closed` and cleans up. */
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.socket;
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
    this.wake?.();
  }

  /** At shutdown: the lock goes before the socket, so the listener's drain waits for it. */
  private async goodbye(): Promise<void> {
    await this.write(errLine('Server shutting down; try again later', 'SYS/TEMP'));
    await this.releaseLock();
    this.end();
  }

  // ---- commands -----------------------------------------------------------------------------------

  private async run(): Promise<void> {
    try {
      await this.write(okLine('Mailstead POP3 server ready'));
      while (!this.closed) {
        const r = await this.readLine(this.opts.maxLineLength);
        if (!r) break;
        this.busy = true;
        if (r.kind === 'tooLong') await this.bad('Line too long');
        else if (r.kind === 'line') await this.execute(r.line);
        this.busy = false;
        if (this.shuttingDown) await this.goodbye();
        else if (!this.closed) this.armTimeout();
      }
    } catch (e) {
      this.core.log.error({ err: e }, 'pop3: session failed');
      await this.write(errLine('Internal error', 'SYS/TEMP')).catch(() => undefined);
      this.end();
    } finally {
      await this.cleanup();
    }
  }

  private async execute(line: string): Promise<void> {
    const p = parseCommand(line);
    if (p.kind === 'error') return this.bad(p.text);
    if (p.kind === 'unknown') return this.bad(`Unknown command ${p.keyword}`);
    const spec = COMMANDS[p.verb];
    if (!isAllowed(spec, this.state.kind)) return this.bad(`${p.verb} is not valid in this state`);
    let result: CommandResult;
    try {
      result = await spec.handler(this, p.args);
    } catch (e) {
      const mapped = toPop3Error(e);
      if (!mapped.expected) this.core.log.error({ err: e, command: p.verb }, 'pop3: command failed');
      result = { out: mapped.line };
    }
    if (result.after === 'starttls') return this.startTls(result.out);
    // Free the maildrop before the goodbye, so a client that logs in right after QUIT is not [IN-USE].
    if (result.after === 'close') await this.releaseLock();
    const parts = Array.isArray(result.out) ? result.out : [result.out as string | Buffer];
    for (const part of parts) await this.write(part);
    if (result.after === 'close') this.end();
  }

  /** Counts a command we could not take; a client that keeps sending them is shown the door. */
  private async bad(text: string): Promise<void> {
    this.badCommands++;
    if (this.badCommands >= this.opts.maxBadCommands) {
      await this.write(errLine(`${text}; too many bad commands, closing the connection`));
      return this.end();
    }
    await this.write(errLine(text));
  }

  /**
   * RFC 2595 §4: after "+OK" the TLS handshake starts, and everything the client pipelined after STLS
   * is thrown away (it came in the clear and could be an attacker's injection).
   */
  private async startTls(out: CommandResult['out']): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    plain.pause();
    this.reader.reset();
    for (const part of Array.isArray(out) ? out : [out as string | Buffer]) plain.write(part);
    try {
      await this.conn.startTls();
    } catch (e) {
      this.core.log.info({ err: e, ip: this.conn.remoteAddress }, 'pop3: TLS handshake failed');
      this.closed = true;
      plain.destroy();
      return;
    }
    this.socket = this.conn.socket;
    this.reader.reset();
    this.attach(this.socket);
  }

  // ---- the maildrop lock ------------------------------------------------------------------------------

  holdLock(addressId: number): void {
    const timer = setInterval(() => {
      refreshMaildropLock(this.core, addressId, this.id).then(
        (held) => {
          if (held || this.closed) return;
          // Somebody else has the maildrop now (we stalled past the lock's lifetime): stop at once,
          // without UPDATE, rather than delete under another session's feet.
          this.core.log.warn({ addressId }, 'pop3: maildrop lock lost; closing the session');
          if (this.state.kind === 'transaction') this.state = { kind: 'update' };
          void this.write(errLine('Maildrop lock lost', 'IN-USE')).then(() => this.end());
        },
        (e: unknown) => this.core.log.warn({ err: e }, 'pop3: could not refresh the maildrop lock'),
      );
    }, this.opts.lockRefreshMs);
    timer.unref();
    this.lock = { addressId, timer };
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    if (!lock) return;
    clearInterval(lock.timer);
    await unlockMaildrop(this.core, lock.addressId, this.id).catch((e: unknown) =>
      this.core.log.warn({ err: e }, 'pop3: could not release the maildrop lock'),
    );
  }

  private async cleanup(): Promise<void> {
    this.detach(this.socket);
    this.socket.on('error', () => undefined);
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.end();
    await this.releaseLock();
  }
}
