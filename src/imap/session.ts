// One IMAP connection: bytes in through the receiver, one command at a time through the state gate
// and the command table, responses out with backpressure. Commands run strictly in order, so a
// pipelined EXPUNGE never reaches a client in the middle of another command's responses.
import type { Core } from '../core/context.js';
import type { Connection, ShutdownHandler } from '../server/listener.js';
import { ImapReceiver, type ReceiverOptions } from './proto/receiver.js';
import { encodeMailboxName } from './proto/mutf7.js';
import { astr, str } from './proto/response.js';
import type { ImapRequest } from './proto/tokens.js';
import { isAtom } from './proto/tokens.js';
import type { SessionState } from './state.js';
import type { SelectedMailbox, SyncOutput } from './selected.js';
import type { CommandResult, SessionApi } from './session-api.js';
import type { ImapOptions } from './options.js';
import type { ChangeWatcher } from './watcher.js';
import { COMMANDS, isAllowed, type CommandSpec, type ImapCommand } from './command-table.js';
import { capabilities } from './capabilities.js';
import { toImapStatus } from './errors.js';
import { isStorageIoError } from '../core/errors.js';
import { Notifier } from './notify.js';
import { DeflateStream } from './compress.js';
import type { IdleSweeper, Sweepable } from './idle-sweeper.js';

const OUT_HIGH_WATER = 256 * 1024;
const IN_HIGH_WATER = 1024 * 1024;

/** What every session of one IMAP service shares: one reference in each session instead of four. */
export interface ImapService {
  readonly core: Core;
  readonly opts: ImapOptions;
  readonly watcher: ChangeWatcher;
  readonly sweeper: IdleSweeper;
  /** The receiver's limits, derived from `opts` once. */
  readonly receiverOptions: ReceiverOptions;
}

export function imapService(
  core: Core,
  opts: ImapOptions,
  watcher: ChangeWatcher,
  sweeper: IdleSweeper,
): ImapService {
  return {
    core,
    opts,
    watcher,
    sweeper,
    receiverOptions: { maxLineLength: opts.maxLineLength, maxLiteralSize: opts.maxMessageSize },
  };
}

/** What a session's socket events call: one shared function each, the session found on the socket. */
const SESSION = Symbol('imapSession');
type SessionSocket = { [SESSION]?: ImapSession };
function onSocketData(this: SessionSocket, chunk: Buffer): void {
  this[SESSION]?.onData(chunk);
}
/** 'close' follows every socket error, so the session listens to 'close' only (the listener and Node's
 * TLSSocket already keep an 'error' listener on the socket, so an error never throws). */
function onSocketEnd(this: SessionSocket): void {
  this[SESSION]?.close();
}

/**
 * Per-connection state, kept small for sessions that sit idle by the thousand: everything a command
 * may need (the receiver, NOTIFY state, ENABLEd extensions, cleanup lists, the sync chain) is made on
 * first use, the output object is the session itself, the shutdown handler is the session itself,
 * what the service's sessions share is one reference, and timeouts go through one shared sweeper.
 */
export class ImapSession implements SessionApi, SyncOutput, Sweepable, ShutdownHandler {
  state: SessionState = { kind: 'notAuthenticated', authFailures: 0 };
  private enabledSet: Set<string> | null = null;
  /** Made when bytes arrive; dropped once everything received has been used (see dropIdleReceiver). */
  private rx: ImapReceiver | null = null;
  private outBuf: Array<string | Buffer> | null = null;
  private outSize = 0;
  private running = false;
  private lineWaiter: ((line: string | null) => void) | null = null;
  private syncChain: Promise<void> | null = null;
  private closed = false;
  /** Change subscriptions still on (IDLE, NOTIFY), stopped at close. */
  private cleanups: Set<() => void> | null = null;
  /** COMPRESS=DEFLATE (RFC 4978): inflating input since the command, deflating output since its OK. */
  private zipIn: DeflateStream | null = null;
  private zip: DeflateStream | null = null;
  private notifierObj: Notifier | null = null;
  lastActive = Date.now();

  constructor(
    private readonly svc: ImapService,
    readonly conn: Connection,
  ) {}

  get core(): Core {
    return this.svc.core;
  }

  get opts(): ImapOptions {
    return this.svc.opts;
  }

  private get receiver(): ImapReceiver {
    return (this.rx ??= new ImapReceiver(this.svc.receiverOptions));
  }

  /**
   * An idle session keeps no receiver (its object, its two arrays): once nothing is buffered, no
   * command is half received and no line is awaited, a fresh one on the next bytes is the same.
   */
  private dropIdleReceiver(): void {
    if (this.rx?.idle) this.rx = null;
  }

  /** Extensions turned on with ENABLE (RFC 5161). */
  get enabled(): Set<string> {
    return (this.enabledSet ??= new Set());
  }

  private isEnabled(name: string): boolean {
    return this.enabledSet !== null && this.enabledSet.has(name);
  }

  /** The session writes untagged responses of the selected mailbox itself (SyncOutput). */
  get out(): SyncOutput {
    return this;
  }

  get condstore(): boolean {
    return this.isEnabled('CONDSTORE') || this.isEnabled('QRESYNC');
  }

  get qresync(): boolean {
    return this.isEnabled('QRESYNC');
  }

  get notifier(): Notifier {
    return (this.notifierObj ??= new Notifier(this, () => !this.running || this.lineWaiter !== null));
  }

  get utf8(): boolean {
    return this.isEnabled('UTF8=ACCEPT') || this.isEnabled('IMAP4REV2');
  }

  get rev2(): boolean {
    return this.isEnabled('IMAP4REV2');
  }

  start(): void {
    this.attach();
    this.conn.onShutdown(this);
    this.send(`* OK [CAPABILITY ${this.capabilities().join(' ')}] Mailstead IMAP ready`);
    void this.flushOutput();
  }

  onServerShutdown(): void {
    this.send('* BYE Server shutting down');
    void this.flushOutput().finally(() => this.close());
  }

  private attach(): void {
    const socket = this.conn.socket;
    (socket as SessionSocket)[SESSION] = this;
    socket.on('data', onSocketData);
    socket.on('close', onSocketEnd);
    this.svc.sweeper.add(this);
  }

  /** Inactivity allowed now (Sweepable): none while a command other than IDLE is running. */
  timeoutMs(): number {
    if (this.running && this.lineWaiter === null) return 0;
    const secs =
      this.state.kind === 'notAuthenticated' ? this.opts.preAuthTimeoutSeconds : this.opts.idleTimeoutSeconds;
    return secs * 1000;
  }

  onIdleTimeout(): void {
    this.send('* BYE Autologout; idle for too long');
    void this.flushOutput().finally(() => this.close());
  }

  onData(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActive = Date.now();
    // This receiver, even if the loop below uses it all and drops it (its buffered count is then 0).
    const rx = this.receiver;
    rx.push(chunk);
    if (this.lineWaiter) this.deliverLine();
    else if (!this.running) this.kick();
    if (rx.buffered > IN_HIGH_WATER) this.conn.socket.pause();
  }

  private kick(): void {
    this.running = true;
    this.loop()
      .catch((e: unknown) => {
        this.core.log.error({ err: e }, 'imap: session failed');
        this.send('* BYE Internal error');
        void this.flushOutput().finally(() => this.close());
      })
      .finally(() => {
        this.running = false;
        // Changes NOTIFY saw while the commands ran (RFC 5465).
        this.notifierObj?.afterCommand();
      });
  }

  private async loop(): Promise<void> {
    while (!this.closed && this.state.kind !== 'logout') {
      const r = this.receiver.next();
      switch (r.kind) {
        case 'needMore':
          this.conn.socket.resume();
          this.dropIdleReceiver();
          return;
        case 'needLiteral':
          if (!r.nonSync) {
            this.send('+ Ready for literal data');
            await this.flushOutput();
          }
          break;
        case 'error': {
          const code = r.code ? `[${r.code}] ` : '';
          this.send(`${r.tag ?? '*'} BAD ${code}${r.text}`);
          if (r.fatal) {
            this.send('* BYE Cannot continue after this error');
            await this.flushOutput();
            this.close();
            return;
          }
          await this.flushOutput();
          break;
        }
        case 'line':
          break;
        case 'request':
          await this.execute(r.request);
          break;
      }
    }
  }

  /** Token bucket of the command rate limit. */
  private tokens = 0;
  private tokensAt = 0;

  /**
   * One command's turn under the rate limit: a burst goes through at once, beyond it each command
   * waits for its turn, so a flooding client is slowed to the sustained rate (commands run one at a
   * time, so the wait never grows past one interval) and nobody else is starved.
   */
  private async takeTurn(): Promise<void> {
    const { commandsPerSecond: rate, commandBurst: burst } = this.opts;
    if (rate <= 0) return;
    const now = Date.now();
    if (this.tokensAt === 0) this.tokens = burst;
    else this.tokens = Math.min(burst, this.tokens + ((now - this.tokensAt) * rate) / 1000);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return;
    }
    await new Promise((r) => setTimeout(r, ((1 - this.tokens) * 1000) / rate));
    this.tokens = 0;
    this.tokensAt = Date.now();
  }

  private async execute(req: ImapRequest): Promise<void> {
    await this.takeTurn();
    let name = req.command;
    let args = req.args;
    let uid = false;
    if (name === 'UID') {
      const sub = args[0];
      if (!isAtom(sub)) return this.finish(req.tag, { status: 'BAD', text: 'UID needs a command' });
      name = sub.value.toUpperCase();
      args = args.slice(1);
      uid = true;
    }
    const spec: CommandSpec | undefined = Object.hasOwn(COMMANDS, name)
      ? COMMANDS[name as ImapCommand]
      : undefined;
    if (!spec || (uid && !spec.uid))
      return this.finish(req.tag, { status: 'BAD', text: `Unknown command ${name.slice(0, 30)}` });
    const gate = isAllowed(spec, this.state, this.conn.secure, this.rev2);
    if (gate) return this.finish(req.tag, gate);
    let result: CommandResult;
    const condstoreBefore = this.out.condstore;
    try {
      result = await spec.handler({ session: this, tag: req.tag, name, uid, args });
    } catch (e) {
      const mapped = toImapStatus(e);
      // Storage I/O failures get a NO [UNAVAILABLE] but stay in the log: an operator must see them.
      if (!mapped || isStorageIoError(e))
        this.core.log.error({ err: e, command: name }, 'imap: command failed');
      result = mapped ?? { status: 'NO', code: 'SERVERBUG', text: 'Internal error; the error was logged' };
    }
    if (
      this.state.kind === 'selected' &&
      !condstoreBefore &&
      this.out.condstore &&
      name !== 'SELECT' &&
      name !== 'EXAMINE'
    ) {
      // CONDSTORE turned on by use while a mailbox is selected (RFC 7162 §3.1).
      this.send(`* OK [HIGHESTMODSEQ ${this.state.selected.box.highestModseq}] Highest`);
    }
    if (this.state.kind === 'selected' && !this.closed && name !== 'LOGOUT') {
      // No EXPUNGE while answering a command that uses sequence numbers (RFC 9051 §7.5.1).
      await this.syncSelected(!spec.usesSeqs || uid);
    }
    await this.finish(req.tag, result);
    this.lastActive = Date.now();
  }

  private async finish(tag: string, r: CommandResult): Promise<void> {
    const code = r.code ? `[${r.code}] ` : '';
    this.send(`${tag} ${r.status} ${code}${r.text}`);
    await this.flushOutput();
    if (r.after) await r.after();
  }

  send(line: string): void {
    this.write(`${line}\r\n`);
  }

  write(data: string | Buffer): void {
    if (this.closed) return;
    (this.outBuf ??= []).push(data);
    this.outSize += data.length;
    if (this.outSize > OUT_HIGH_WATER) this.drainBuffer();
  }

  private drainBuffer(): boolean {
    const out = this.outBuf;
    if (out === null || this.closed) return true;
    this.outBuf = null;
    this.outSize = 0;
    this.lastActive = Date.now();
    let data: Buffer;
    if (out.length === 1) {
      const p = out[0]!;
      data = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    } else {
      // Strings in a row are joined before one conversion: most responses are many short lines.
      const parts: Buffer[] = [];
      let text = '';
      for (const p of out) {
        if (typeof p === 'string') text += p;
        else {
          if (text) parts.push(Buffer.from(text, 'utf8'));
          text = '';
          parts.push(p);
        }
      }
      if (text) parts.push(Buffer.from(text, 'utf8'));
      data = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    }
    if (this.zip) {
      this.zip.write(data);
      return true;
    }
    return this.conn.socket.write(data);
  }

  async flushOutput(): Promise<void> {
    const written = this.drainBuffer();
    if (this.closed) return;
    // Compressed: a sync flush ends every burst of responses (RFC 4978 §4), then the socket's backpressure.
    if (this.zip) await this.zip.flush();
    else if (written) return;
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

  readLine(): Promise<string | null> {
    this.receiver.expectLine();
    return new Promise((resolve) => {
      this.lineWaiter = resolve;
      this.deliverLine();
    });
  }

  private deliverLine(): void {
    const waiter = this.lineWaiter;
    if (!waiter) return;
    const r = this.receiver.next();
    if (r.kind === 'needMore') {
      this.conn.socket.resume();
      return;
    }
    this.lineWaiter = null;
    waiter(r.kind === 'line' ? r.text : null);
  }

  capabilities(): string[] {
    return capabilities({
      state: this.state.kind,
      secure: this.conn.secure,
      canStartTls: this.conn.canStartTls,
      maxMessageSize: this.opts.maxMessageSize,
    });
  }

  mailboxName(name: string): string {
    return this.utf8 ? str(name, true) : astr(encodeMailboxName(name));
  }

  selected(): SelectedMailbox {
    if (this.state.kind !== 'selected') throw new Error('no mailbox selected');
    return this.state.selected;
  }

  syncSelected(allowExpunge: boolean): Promise<void> {
    const run = async () => {
      if (this.state.kind !== 'selected' || this.closed) return;
      const sel = this.state.selected;
      await sel.poll();
      await sel.flush(this.out, allowExpunge);
      await sel.refreshContexts(this.out);
      if (sel.gone) {
        // The selected folder was deleted by another session (RFC 9051 §7.1.5: BYE or reselect).
        this.send('* BYE The selected folder was deleted');
        await this.flushOutput();
        this.close();
      }
    };
    const chain = (this.syncChain ?? Promise.resolve()).then(run, run);
    this.syncChain = chain;
    // Nothing queued behind it once it settles: drop the chain so an idle session holds no promise.
    void chain.then(() => {
      if (this.syncChain === chain) this.syncChain = null;
    });
    return chain;
  }

  watchChanges(fn: () => void): () => void {
    if (this.state.kind === 'notAuthenticated' || this.state.kind === 'logout') return () => undefined;
    const off = this.svc.watcher.subscribe(this.state.account.addressId, fn);
    const cleanups = (this.cleanups ??= new Set());
    cleanups.add(off);
    // Forgotten once stopped (IDLE's DONE): a session that IDLEs for days must not keep one per IDLE,
    // nor call it a second time at close.
    return () => {
      if (!cleanups.delete(off)) return;
      if (cleanups.size === 0 && this.cleanups === cleanups) this.cleanups = null;
      off();
    };
  }

  startCompression(): (() => void) | null {
    if (this.zipIn) return null;
    const socket = this.conn.socket;
    socket.off('data', onSocketData);
    const zip = new DeflateStream(
      socket,
      (chunk) => this.onData(chunk),
      () => this.close(),
    );
    this.zipIn = zip;
    return () => {
      this.zip = zip;
    };
  }

  async upgradeTls(): Promise<void> {
    this.rx = null;
    await this.conn.startTls();
    // Anything the client sent before the handshake is gone (RFC 9051 §6.2.1 injection defence).
    this.rx = null;
    const socket = this.conn.socket;
    (socket as SessionSocket)[SESSION] = this;
    socket.on('data', onSocketData);
    socket.on('close', onSocketEnd);
    this.lastActive = Date.now();
  }

  close(): void {
    if (this.closed) return;
    this.drainBuffer();
    this.closed = true;
    this.state = { kind: 'logout' };
    this.svc.sweeper.delete(this);
    this.notifierObj?.stop();
    const cleanups = this.cleanups;
    this.cleanups = null;
    if (cleanups) {
      for (const fn of cleanups) fn();
      cleanups.clear();
    }
    if (this.lineWaiter) {
      const w = this.lineWaiter;
      this.lineWaiter = null;
      w(null);
    }
    const zip = this.zip ?? this.zipIn;
    if (this.zip) {
      // What was written last (BYE, LOGOUT's OK) is still in the compressor: flush it before the end.
      void this.zip.flush().then(() => {
        zip?.close();
        this.conn.socket.end();
      });
    } else {
      zip?.close();
      this.conn.socket.end();
    }
    setTimeout(() => this.conn.socket.destroy(), 2000).unref();
  }
}
