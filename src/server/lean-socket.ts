// The plaintext side of a native TLS session (tls-native.ts): a small event emitter with exactly the
// part of net.Socket the mail protocols use. A net.Socket over a descriptor costs ~3 kB per idle
// session (the Socket, its stream states, a PipeWrap and its uv_pipe_t) and a descriptor; this holds
// a handful of fields, no closures, and no descriptor: bytes come from the native thread as events
// and go back to it through the addon (send/ack/end/destroy).
//
// Semantics follow net.Socket where the protocols depend on them: 'data' flows once a 'data' listener
// is attached and not paused; pause() holds what arrives (and, unacknowledged, it stops the native
// thread reading the client past 64 kB); the client's EOF emits 'end' after the data before it, then
// the socket ends its own side (allowHalfOpen false); 'close' is the one signal that the session is
// over (an error is not reported separately: 'close' follows it, and the protocols only act on
// 'close'); write() returns false past the high-water mark and 'drain' follows once the native thread
// has taken every byte; setTimeout() keeps one timer, refreshed by traffic both ways.
import { EventEmitter } from 'node:events';

/** What protocols may use of a connection's socket: net.Socket, TLSSocket and LeanSocket have it. */
// Listeners typed as Node types them (any[]): net.Socket's overloads must satisfy this interface.
/* eslint-disable @typescript-eslint/no-explicit-any */
export interface ConnectionSocket {
  on(event: string, listener: (...args: any[]) => void): this;
  once(event: string, listener: (...args: any[]) => void): this;
  off(event: string, listener: (...args: any[]) => void): this;
  removeAllListeners(event?: string): this;
  write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(data?: string | Uint8Array): this;
  destroy(): this;
  pause(): this;
  resume(): this;
  setTimeout(ms: number, cb?: () => void): this;
  readonly writableNeedDrain: boolean;
  readonly writableEnded: boolean;
  readonly destroyed: boolean;
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The native calls a session makes (tls_front.cc). */
export interface LeanSocketOps {
  send(id: number, data: Buffer): void;
  end(id: number): void;
  destroy(id: number): void;
  ack(id: number, n: number): void;
}

/** Bytes written and not yet taken by the native thread past which write() says "wait for 'drain'". */
const HIGH_WATER = 64 * 1024;

// Writes and acknowledgements are gathered per session and handed to the addon once per turn of the
// event loop: a burst of responses becomes one send() (one TLS record per 16 kB, not one per write)
// and the native thread is woken once. One shared list and one shared function, no per-session timer.
let dirty: LeanSocket[] = [];
let flushScheduled = false;
function flushAll(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (const s of list) s.flush();
}

/**
 * The listener table of every LeanSocket. EventEmitter makes it `{ __proto__: null }`, which V8 keeps
 * as a dictionary (~180 bytes per idle session); instances of this constructor, whose prototype chain
 * ends in null just the same (an event named "toString" is not found on Object.prototype), are
 * ordinary fast objects holding their few keys (data, close, drain) in the object itself.
 * EventEmitter only ever reads and writes the table as `_events`, and replaces it with its own kind
 * when the last listener goes.
 */
function Listeners(): void {}
Listeners.prototype = Object.create(null) as object;

function onTimer(s: LeanSocket): void {
  s.emit('timeout');
}
function deliverLater(s: LeanSocket): void {
  s.deliver();
}
function emitClose(s: LeanSocket): void {
  s.emit('close', false);
}

export class LeanSocket extends EventEmitter implements ConnectionSocket {
  destroyed = false;
  writableEnded = false;
  writableNeedDrain = false;
  private paused = false;
  /** Chunks received while paused or before a 'data' listener (unacknowledged), and the client's EOF. */
  private held: Buffer[] | null = null;
  private endHeld = false;
  /** Written, not yet handed to the addon (flushed once per loop turn). */
  private queued: Buffer[] | null = null;
  /** Handed to the addon, not yet taken by SSL_write (the native SENT events count them down). */
  private unsent = 0;
  private queuedBytes = 0;
  private toAck = 0;
  private isDirty = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly id: number,
    private readonly ops: LeanSocketOps,
    readonly remoteAddress: string | undefined,
    readonly remotePort: number | undefined,
  ) {
    super();
    (this as unknown as { _events: object })._events = new (Listeners as unknown as new () => object)();
  }

  // ---- from the native thread (tls-native.ts) --------------------------------------------------

  onData(chunk: Buffer): void {
    if (this.destroyed) return;
    this.timer?.refresh();
    if (this.held || this.paused || this.listenerCount('data') === 0) {
      (this.held ??= []).push(chunk);
      return;
    }
    this.ackLater(chunk.length);
    this.emit('data', chunk);
  }

  onEnd(): void {
    if (this.destroyed) return;
    if (this.held) this.endHeld = true;
    else this.emitEnd();
  }

  onSent(n: number): void {
    this.unsent -= n;
    if (this.writableNeedDrain && this.unsent + this.queuedBytes === 0 && !this.destroyed) {
      this.writableNeedDrain = false;
      this.emit('drain');
    }
  }

  /** The connection is gone (the client left, an error, or after end()). */
  onClose(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.release();
    this.emit('close', false);
  }

  // ---- the protocols' side -----------------------------------------------------------------------

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- EventEmitter's own signature
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    super.on(event, listener);
    // As a Readable: attaching 'data' starts the flow of what was held.
    if (event === 'data' && this.held && !this.paused) process.nextTick(deliverLater, this);
    return this;
  }

  write(data: string | Uint8Array, cb?: (err?: Error | null) => void): boolean {
    if (this.destroyed || this.writableEnded) {
      if (cb) process.nextTick(cb, new Error('write after end'));
      return false;
    }
    const b = typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (b.length) {
      (this.queued ??= []).push(b);
      this.queuedBytes += b.length;
      this.markDirty();
      this.timer?.refresh();
      if (this.unsent + this.queuedBytes >= HIGH_WATER) this.writableNeedDrain = true;
    }
    // Called once the bytes are on their way to the native thread (not when the client has them).
    if (cb) process.nextTick(cb, null);
    return !this.writableNeedDrain;
  }

  end(data?: string | Uint8Array): this {
    if (this.destroyed || this.writableEnded) return this;
    if (data !== undefined) this.write(data);
    this.writableEnded = true;
    this.flush();
    this.ops.end(this.id);
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.release();
    this.ops.destroy(this.id);
    process.nextTick(emitClose, this);
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    if (this.held) process.nextTick(deliverLater, this);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    if (cb) this.once('timeout', cb);
    if (ms > 0 && !this.destroyed) {
      if (this.timer) {
        clearTimeout(this.timer);
      }
      this.timer = setTimeout(onTimer, ms, this);
      this.timer.unref();
    } else if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    return this;
  }

  // ---- internals ---------------------------------------------------------------------------------

  /** Emits what was held while it may (flowing, a listener); then the client's EOF if it came. */
  deliver(): void {
    while (this.held && !this.paused && !this.destroyed && this.listenerCount('data') > 0) {
      const chunk = this.held.shift()!;
      if (this.held.length === 0) this.held = null;
      this.ackLater(chunk.length);
      this.emit('data', chunk);
    }
    if (!this.held && this.endHeld && !this.destroyed) {
      this.endHeld = false;
      this.emitEnd();
    }
  }

  /** Hands what was written and acknowledged to the addon. */
  flush(): void {
    this.isDirty = false;
    if (this.destroyed) return;
    const q = this.queued;
    if (q) {
      this.queued = null;
      const b = q.length === 1 ? q[0]! : Buffer.concat(q, this.queuedBytes);
      this.unsent += this.queuedBytes;
      this.queuedBytes = 0;
      this.ops.send(this.id, b);
    }
    if (this.toAck) {
      this.ops.ack(this.id, this.toAck);
      this.toAck = 0;
    }
  }

  private emitEnd(): void {
    this.emit('end');
    // allowHalfOpen false, as net.Socket: the client's EOF ends our side once what we wrote is out.
    if (!this.destroyed) this.end();
  }

  private ackLater(n: number): void {
    this.toAck += n;
    this.markDirty();
  }

  private markDirty(): void {
    if (this.isDirty) return;
    this.isDirty = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  private release(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queued = null;
    this.queuedBytes = 0;
    this.held = null;
    this.endHeld = false;
  }
}
