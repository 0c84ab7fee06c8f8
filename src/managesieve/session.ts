// One ManageSieve connection (RFC 5804): bytes in through the receiver, one command at a time through
// the state gate and the command table, responses out with backpressure. Commands run strictly in
// order; a SASL exchange reads its continuation lines from the same receiver.
import type { Core } from '../core/context.js';
import type { Connection, ShutdownHandler } from '../server/listener.js';
import { capabilityLines } from './capabilities.js';
import { lookupCommand } from './command-table.js';
import { toManageSieveResult } from './errors.js';
import type { ManageSieveOptions } from './options.js';
import { ManageSieveReceiver } from './proto/receiver.js';
import { responseLine } from './proto/response.js';
import type { MsArg, MsCommand } from './proto/tokens.js';
import type { CommandResult, SessionApi, SessionState } from './session-api.js';

const IN_HIGH_WATER = 1024 * 1024;

export class ManageSieveSession implements SessionApi, ShutdownHandler {
  state: SessionState = { kind: 'nonAuthenticated', authFailures: 0 };
  private readonly receiver: ManageSieveReceiver;
  private running = false;
  private closed = false;
  private continuationWaiter: ((args: readonly MsArg[] | null) => void) | null = null;

  constructor(
    readonly core: Core,
    readonly conn: Connection,
    readonly opts: ManageSieveOptions,
  ) {
    this.receiver = new ManageSieveReceiver({
      maxLineLength: opts.maxLineLength,
      // A script plus its name; the exact script limit is checked by the domain (QUOTA/MAXSIZE).
      maxLiteralSize: opts.limits.maxScriptSize + 4096,
    });
  }

  start(): void {
    this.attach();
    this.conn.onShutdown(this);
    // RFC 5804 §1.7: the greeting is the capability listing followed by OK.
    this.sendCapabilities();
    this.send('OK "Mailstead ManageSieve ready"');
    void this.flushOutput();
  }

  onServerShutdown(): void {
    this.send('BYE "Server shutting down"');
    void this.flushOutput().finally(() => this.close());
  }

  private attach(): void {
    const socket = this.conn.socket;
    socket.on('data', this.onData);
    socket.on('error', () => this.close());
    socket.once('close', () => this.close());
    socket.on('timeout', this.onTimeout);
    this.armTimeout();
  }

  private armTimeout(): void {
    const secs =
      this.state.kind === 'authenticated' ? this.opts.idleTimeoutSeconds : this.opts.preAuthTimeoutSeconds;
    this.conn.socket.setTimeout(secs * 1000);
  }

  private readonly onTimeout = (): void => {
    this.send('BYE "Idle for too long"');
    void this.flushOutput().finally(() => this.close());
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    this.receiver.push(chunk);
    if (this.continuationWaiter) this.deliverContinuation();
    else if (!this.running) this.kick();
    if (this.receiver.buffered > IN_HIGH_WATER) this.conn.socket.pause();
  };

  private kick(): void {
    this.running = true;
    this.loop()
      .catch((e: unknown) => {
        this.core.log.error({ err: e }, 'managesieve: session failed');
        this.send('BYE "Internal error"');
        void this.flushOutput().finally(() => this.close());
      })
      .finally(() => {
        this.running = false;
      });
  }

  private async loop(): Promise<void> {
    while (!this.closed && this.state.kind !== 'logout') {
      const r = this.receiver.next();
      if (r.kind === 'needMore') {
        this.conn.socket.resume();
        return;
      }
      if (r.kind === 'error') {
        if (r.fatal) {
          this.send(responseLine('BYE', r.code, r.text).trimEnd());
          await this.flushOutput();
          this.close();
          return;
        }
        await this.finish({ status: 'NO', ...(r.code ? { code: r.code } : {}), text: r.text });
        continue;
      }
      await this.execute(r.command);
    }
  }

  private async execute(cmd: MsCommand): Promise<void> {
    const spec = lookupCommand(cmd.name);
    if (!spec) return this.finish({ status: 'NO', text: `Unknown command ${cmd.name.slice(0, 30)}` });
    if (this.state.kind === 'logout') return;
    if (!spec.states.includes(this.state.kind)) {
      return this.finish({
        status: 'NO',
        text: this.state.kind === 'authenticated' ? 'Already authenticated' : 'Authenticate first',
      });
    }
    let result: CommandResult;
    try {
      result = await spec.handler({ session: this, name: cmd.name, args: cmd.args });
    } catch (e) {
      const mapped = toManageSieveResult(e);
      if (!mapped) this.core.log.error({ err: e, command: cmd.name }, 'managesieve: command failed');
      result = mapped ?? { status: 'NO', code: 'TRYLATER', text: 'Internal error; the error was logged' };
    }
    await this.finish(result);
    if (!this.closed) this.armTimeout();
  }

  private async finish(r: CommandResult): Promise<void> {
    this.write(responseLine(r.status, r.code, r.text));
    await this.flushOutput();
    if (r.after) await r.after();
    else if (r.status === 'BYE') this.close();
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  write(data: string | Buffer): void {
    if (this.closed) return;
    this.conn.socket.write(data);
  }

  async flushOutput(): Promise<void> {
    const socket = this.conn.socket;
    if (this.closed || !socket.writableNeedDrain) return;
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

  readContinuation(): Promise<readonly MsArg[] | null> {
    this.receiver.expectContinuation();
    return new Promise((resolve) => {
      this.continuationWaiter = resolve;
      this.deliverContinuation();
    });
  }

  private deliverContinuation(): void {
    const waiter = this.continuationWaiter;
    if (!waiter) return;
    const r = this.receiver.next();
    if (r.kind === 'needMore') {
      this.conn.socket.resume();
      return;
    }
    this.continuationWaiter = null;
    waiter(r.kind === 'command' ? r.command.args : r.fatal ? null : []);
  }

  sendCapabilities(): void {
    const lines = capabilityLines({
      implementation: this.opts.implementation,
      secure: this.conn.secure,
      canStartTls: this.conn.canStartTls,
      maxRedirects: this.opts.maxRedirects,
      ...(this.state.kind === 'authenticated' ? { owner: this.state.account.address } : {}),
    });
    for (const l of lines) this.send(l);
  }

  async upgradeTls(): Promise<void> {
    this.receiver.reset();
    await this.conn.startTls();
    // Anything the client sent before the handshake is dropped (RFC 5804 §2.2, RFC 3207 §4.2).
    this.receiver.reset();
    const socket = this.conn.socket;
    socket.on('data', this.onData);
    socket.on('error', () => this.close());
    socket.on('timeout', this.onTimeout);
    this.armTimeout();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = { kind: 'logout' };
    if (this.continuationWaiter) {
      const w = this.continuationWaiter;
      this.continuationWaiter = null;
      w(null);
    }
    this.conn.socket.end();
    setTimeout(() => this.conn.socket.destroy(), 2000).unref();
  }
}
