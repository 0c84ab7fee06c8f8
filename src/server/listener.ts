// The listener framework every protocol uses: TCP accept, implicit TLS or STARTTLS upgrade, per-IP
// connection limits, the PROXY protocol (v1) for a trusted front, and a graceful drain at shutdown.
// A protocol only sees `Connection`: a duplex socket plus who is on the other end.
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { Logger } from './logger.js';
import type { TlsFront } from './tls-native.js';
import type { ConnectionSocket } from './lean-socket.js';

export type { ConnectionSocket } from './lean-socket.js';

export type TlsMode = 'implicit' | 'starttls' | 'none';

export interface Connection {
  readonly id: string;
  /**
   * Plain TCP socket, the TLS socket once TLS is on (implicit, or after `startTls`), or with the
   * native TLS front a LeanSocket: protocols use only what ConnectionSocket declares.
   */
  readonly socket: ConnectionSocket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly secure: boolean;
  /** The listener offers STARTTLS/STLS and it has not been used yet. */
  readonly canStartTls: boolean;
  /**
   * Upgrades the connection in place (after the protocol said "go ahead"). Bytes already buffered by
   * the protocol's parser must be discarded by the caller (RFC 3207 §4.2 / RFC 2595 injection defence).
   */
  startTls(): Promise<void>;
  readonly log: Logger;
  /** Registers what to do at shutdown (say BYE / 421); called once, before the socket is destroyed. */
  onShutdown(handler: ShutdownHandler): void;
  /**
   * Gives `key` back to `holder` once the connection has closed, or at once if it already has (a
   * per-user session slot taken at login).
   */
  releaseAtClose(holder: ReleasedAtClose, key: number): void;
}

/**
 * A session's answer to the server shutting down. An object with a method rather than a callback, so
 * that the thousands of idle sessions do not each keep a closure (and its context) for it.
 */
export interface ShutdownHandler {
  onServerShutdown(): void;
}

/** What a connection holds until it closes (session-slots.ts: the per-user session limiter). */
export interface ReleasedAtClose {
  release(key: number): void;
}

export interface ListenerSpec {
  /** Service name as in config keys: smtp, submission, imaps, ... */
  name: string;
  port: number;
  tls: TlsMode;
  handler: (conn: Connection) => void;
  /**
   * The handler needs a real net.Socket (SMTP hands it to smtp-server, which uses it as a stream):
   * implicit TLS is then Node's even with the native front, whose sessions get a LeanSocket.
   */
  nodeSocket?: boolean;
}

export interface ListenerOptions {
  bind: string;
  tls: () => SecureContext;
  log: Logger;
  maxConnectionsPerIp: number;
  proxyProtocol: boolean;
  /** Implicit TLS done natively (`tls.engine = "native"`); absent: Node's TLSSocket. */
  tlsFront?: TlsFront | null;
  /** A client that has not finished its TLS handshake by then is dropped (0: no limit; default 30 s). */
  handshakeTimeoutMs?: number;
}

export interface RunningListeners {
  /** Actual bound ports by service name (port 0 in the config picks a free one in tests). */
  readonly ports: Record<string, number>;
  /** Stops accepting, asks every session to finish, waits up to `drainMs`, then destroys the rest. */
  close(drainMs: number): Promise<void>;
}

/** Shared by every socket: errors are seen by the protocol's own handlers (or end in 'close'). */
const ignore = (): void => undefined;

/**
 * Implicit TLS handshakes under way, and one set of listeners for all of them. Idle connections are
 * kept by the ten thousand, so a connection keeps no handshake closure, and its TLSSocket's `_events`
 * never loses a key: removing the last listener of an event deletes the key, which turns the object
 * into a dictionary (~450 bytes more per connection). The 'secure' listener therefore stays; the
 * 'error' and 'close' ones go (Node's own listeners for those events remain, so no key is deleted).
 */
const handshakes = new Map<TLSSocket, (ok: boolean) => void>();
function handshakeDone(tls: TLSSocket, ok: boolean): void {
  const resolve = handshakes.get(tls);
  if (!resolve) return;
  handshakes.delete(tls);
  tls.off('error', onHandshakeFail);
  tls.off('close', onHandshakeFail);
  resolve(ok);
}
function onHandshakeSecure(this: TLSSocket): void {
  handshakeDone(this, true);
}
function onHandshakeFail(this: TLSSocket): void {
  handshakeDone(this, false);
}
/**
 * Resolves true once the server-side handshake is done, false if it failed, the socket closed, or
 * `timeoutMs` passed first (a client that never finishes must not hold its slot forever).
 */
function handshake(tls: TLSSocket, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = timeoutMs > 0 ? setTimeout(() => tls.destroy(), timeoutMs) : null;
    handshakes.set(tls, (ok) => {
      if (timer) clearTimeout(timer);
      resolve(ok);
    });
    tls.on('secure', onHandshakeSecure);
    tls.on('error', onHandshakeFail);
    tls.on('close', onHandshakeFail);
  });
}

/** What every connection of one listener shares: kept once, not in each connection. */
interface ListenerShared {
  /** The port the listener is bound to: asking the socket would cache its sockname object. */
  localPort: number;
  readonly ctx: () => SecureContext;
  readonly handshakeTimeoutMs: number;
  readonly log: Logger;
}

class ConnectionImpl implements Connection {
  private idText: string | null = null;
  socket: ConnectionSocket;
  secure: boolean;
  canStartTls: boolean;
  /** Nearly always one handler (the protocol session), kept without an array. */
  private shutdownHandlers: ShutdownHandler | ShutdownHandler[] | null = null;
  /** A session slot to give back at close (one per login; more only after ManageSieve's UNAUTHENTICATE). */
  private heldBy: ReleasedAtClose | null = null;
  private heldKey = 0;
  private moreHeld: Array<{ holder: ReleasedAtClose; key: number }> | null = null;
  private closed = false;

  constructor(
    socket: ConnectionSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    mode: TlsMode,
    private readonly shared: ListenerShared,
  ) {
    this.socket = socket;
    this.secure = mode === 'implicit';
    this.canStartTls = mode === 'starttls';
  }

  get localPort(): number {
    return this.shared.localPort;
  }

  get log(): Logger {
    return this.shared.log;
  }

  /** Made on first use (logging): an idle connection need not carry it. */
  get id(): string {
    return (this.idText ??= randomBytes(6).toString('hex'));
  }

  async startTls(): Promise<void> {
    if (!this.canStartTls) throw new Error('STARTTLS not available on this connection');
    this.canStartTls = false;
    // STARTTLS listeners are never served by the native front: this is a net.Socket.
    const plain = this.socket as unknown as Socket;
    plain.removeAllListeners('data');
    plain.pause();
    const tls = new TLSSocket(plain, { isServer: true, secureContext: this.shared.ctx() });
    if (!(await handshake(tls, this.shared.handshakeTimeoutMs))) throw new Error('TLS handshake failed');
    this.socket = tls;
    this.secure = true;
  }

  onShutdown(handler: ShutdownHandler): void {
    const h = this.shutdownHandlers;
    this.shutdownHandlers = h === null ? handler : Array.isArray(h) ? [...h, handler] : [h, handler];
  }

  shutdown(): void {
    const h = this.shutdownHandlers;
    this.shutdownHandlers = null;
    for (const handler of h === null ? [] : Array.isArray(h) ? h : [h]) {
      try {
        handler.onServerShutdown();
      } catch {
        /* the socket may already be gone */
      }
    }
  }

  releaseAtClose(holder: ReleasedAtClose, key: number): void {
    if (this.closed) holder.release(key);
    else if (this.heldBy === null) {
      this.heldBy = holder;
      this.heldKey = key;
    } else (this.moreHeld ??= []).push({ holder, key });
  }

  /** The socket that ends the connection has closed: give back what it held. */
  onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    const held = this.heldBy;
    this.heldBy = null;
    held?.release(this.heldKey);
    const more = this.moreHeld ?? [];
    this.moreHeld = null;
    for (const m of more) m.holder.release(m.key);
  }
}

/** Reads a PROXY protocol v1 line ("PROXY TCP4 src dst sport dport\r\n") before handing the socket on. */
function readProxyHeader(socket: Socket): Promise<{ address: string; port: number } | null> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    // A listener created with pauseOnConnect (the native TLS front) does not read until asked.
    socket.resume();
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n');
      if (end < 0) {
        if (buf.length > 107) done(null);
        return;
      }
      const line = buf.subarray(0, end).toString('latin1').split(' ');
      const rest = buf.subarray(end + 2);
      if (rest.length) socket.unshift(rest);
      if (line[0] !== 'PROXY') return done(null);
      if (line[1] === 'UNKNOWN')
        return done({ address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 });
      done({ address: line[2] ?? '', port: Number(line[4] ?? 0) });
    };
    const done = (r: { address: string; port: number } | null) => {
      socket.off('data', onData);
      socket.pause();
      resolve(r);
    };
    socket.on('data', onData);
  });
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export async function startListeners(
  specs: ListenerSpec[],
  opts: ListenerOptions,
): Promise<RunningListeners> {
  const servers: Server[] = [];
  /**
   * Open connections by the socket whose 'close' ends them (one shared listener): the accepted TCP
   * socket, or with the native TLS front the plaintext socket that replaced it.
   */
  const live = new Map<ConnectionSocket, ConnectionImpl>();
  const perIp = new Map<string, number>();
  const ports: Record<string, number> = {};
  const front = opts.tlsFront ?? null;
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 30_000;
  let lastRefusalLog = 0;

  const accept = async (spec: ListenerSpec, shared: ListenerShared, raw: Socket) => {
    raw.setNoDelay(true);
    raw.on('error', ignore);
    let address = normaliseIp(raw.remoteAddress ?? '');
    let port = raw.remotePort ?? 0;
    if (opts.proxyProtocol) {
      const p = await readProxyHeader(raw);
      if (!p) return raw.destroy();
      address = normaliseIp(p.address);
      port = p.port;
    }
    const count = (perIp.get(address) ?? 0) + 1;
    if (count > opts.maxConnectionsPerIp) {
      opts.log.warn({ service: spec.name, ip: address }, 'too many connections from this address');
      raw.resume(); // paused since accept on a native-TLS listener: read on to see the client's FIN
      raw.end(tooManyMessage(spec.name));
      return;
    }
    perIp.set(address, count);
    let socket: ConnectionSocket = raw;
    // Bytes libuv already read (after a PROXY header) are not in the kernel any more for the native
    // side to see: such a connection takes Node's TLS.
    const plain =
      spec.tls === 'implicit' && front && !spec.nodeSocket && raw.readableLength === 0
        ? adoptNatively(spec, raw)
        : null;
    if (plain) {
      const s = await plain;
      if (!s) {
        release(address);
        return;
      }
      socket = s;
    } else if (spec.tls === 'implicit') {
      // TLSSocket always listens to its own 'error' (so an error never throws); 'close' follows it.
      const tls = new TLSSocket(raw, { isServer: true, secureContext: opts.tls() });
      const ok = await handshake(tls, handshakeTimeoutMs);
      if (!ok) {
        release(address);
        raw.destroy();
        return;
      }
      socket = tls;
    }
    const conn = new ConnectionImpl(socket, address, port, spec.tls, shared);
    // With the native front the accepted socket is gone: the session ends with the plaintext one.
    const ender = socket === raw || socket instanceof TLSSocket ? raw : socket;
    live.set(ender, conn);
    ender.on('close', onRawClose);
    try {
      spec.handler(conn);
    } catch (e) {
      opts.log.error({ err: e, service: spec.name }, 'session crashed at start');
      ender.destroy();
    }
  };

  /**
   * Hands the socket to the native front; null if it cannot take it (out of descriptors, or its
   * session cap reached), and the connection then takes Node's TLS.
   */
  const adoptNatively = (spec: ListenerSpec, raw: Socket): ReturnType<TlsFront['adopt']> | null => {
    try {
      return front!.adopt(raw);
    } catch (e) {
      // Once per burst in the log, not once per connection.
      const now = Date.now();
      if (now - lastRefusalLog > 10_000) {
        lastRefusalLog = now;
        opts.log.warn(
          { err: e, service: spec.name },
          "native TLS front could not take a connection; Node's TLS serves it (and any more soon)",
        );
      }
      return null;
    }
  };

  const release = (address: string) => {
    const n = (perIp.get(address) ?? 1) - 1;
    if (n <= 0) perIp.delete(address);
    else perIp.set(address, n);
  };
  function onRawClose(this: ConnectionSocket): void {
    const conn = live.get(this);
    if (!conn) return;
    live.delete(this);
    release(conn.remoteAddress);
    conn.onClosed();
  }

  try {
    for (const spec of specs) {
      if (!spec.port && spec.port !== 0) continue;
      // The native front must get sockets libuv never read from: their first bytes (ClientHello)
      // have to be in the kernel's buffer when the descriptor is handed over.
      const pauseOnConnect = spec.tls === 'implicit' && front !== null && !spec.nodeSocket;
      const shared: ListenerShared = {
        localPort: spec.port,
        ctx: opts.tls,
        handshakeTimeoutMs,
        log: opts.log,
      };
      const server = createServer({ pauseOnConnect }, (s) => {
        accept(spec, shared, s).catch((e: unknown) => {
          opts.log.error({ err: e, service: spec.name }, 'accept failed');
          s.destroy();
        });
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(spec.port, opts.bind, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : spec.port;
      ports[spec.name] = bound;
      shared.localPort = bound;
      servers.push(server);
    }
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }

  return {
    ports,
    async close(drainMs: number) {
      for (const s of servers) s.close();
      for (const c of live.values()) c.shutdown();
      const deadline = Date.now() + drainMs;
      while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (const c of live.values()) c.socket.destroy();
    },
  };
}

function tooManyMessage(service: string): string {
  if (service.startsWith('smtp') || service.startsWith('submission'))
    return '421 4.7.0 Too many connections\r\n';
  if (service.startsWith('pop3')) return '-ERR [SYS/TEMP] Too many connections\r\n';
  if (service === 'managesieve') return 'BYE "Too many connections"\r\n';
  if (service.startsWith('imap')) return '* BYE [UNAVAILABLE] Too many connections\r\n';
  return '';
}
