// The native TLS front (native/tls-front, `tls.engine = "native"`): TLS for implicit-TLS listeners
// done by OpenSSL in one native thread, outside Node's TLSSocket, whose per-connection cost keeps
// 10,000 idle IMAPS sessions far above 300 MB. The listener still accepts TCP; the accepted
// descriptor is handed over, and the protocol gets a LeanSocket (lean-socket.ts) fed by the native
// thread's events: no descriptor besides the TCP socket, no net.Socket per session.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { DEFAULT_CIPHERS } from 'node:tls';
import type { Logger } from './logger.js';
import { LeanSocket, type LeanSocketOps } from './lean-socket.js';

/** The addon's surface (native/tls-front/src/tls_front.cc). */
interface Addon extends LeanSocketOps {
  /** kind: EV_* below; arg/arg2 as each kind says. */
  start(onEvent: (kind: number, id: number, arg: unknown, arg2: unknown) => void): void;
  createContext(cert: string, key: string, cipherList: string, cipherSuites: string): NativeContext;
  adopt(fd: number, handshakeTimeoutMs: number, context: NativeContext): number;
  cancel(id: number): void;
  live(): number;
  /** ownRecords: TLS 1.3 sessions whose records the addon protects itself (their SSL object freed). */
  stats(): { live: number; ownRecords: number };
}
/** An SSL_CTX held by the addon, freed when JS lets go of it (connections keep their reference). */
type NativeContext = { readonly __nativeContext: unique symbol };

// The events' kinds, as tls_front.cc numbers them.
const EV_OPEN = 0; // handshake done: arg protocol, arg2 cipher
const EV_FAIL = 1; // handshake failed: arg why
const EV_DATA = 2; // decrypted bytes: arg a Buffer
const EV_SENT = 3; // arg more of JS's bytes taken by SSL_write
const EV_END = 4; // the client finished sending
const EV_CLOSE = 5; // the connection is gone (always the last event of a session)

export interface TlsFront {
  /**
   * Takes over an accepted TCP socket that libuv is not reading (paused since accept, nothing
   * buffered). Resolves with the plaintext socket once the handshake is done, or null if it failed;
   * `raw` is destroyed at once either way (the native side has its own duplicate). Throws, leaving
   * `raw` alone, if it cannot take the socket (out of descriptors, or the session cap reached).
   */
  adopt(raw: Socket): Promise<LeanSocket | null>;
  /** New connections use this certificate and key from now on (a renewed certificate). */
  setContext(cert: string, key: string): void;
  /** Connections the native thread holds in this process (handshaking or open). */
  live(): number;
  /** Of them, TLS 1.3 sessions past their handshake, which no longer hold an OpenSSL SSL object. */
  ownRecords(): number;
  /** Drops this front's handshakes under way; open sessions end when their sockets are destroyed. */
  close(): void;
}

/** Where node-gyp puts the addon (scripts/build-native.mjs), from dist/src/server/. */
export const ADDON_PATH = new URL('../../../native/tls-front/build/Release/tls_front.node', import.meta.url)
  .pathname;

/** Loads the addon, or says why it cannot be loaded (not built: no compiler at install time...). */
export function loadTlsFrontAddon(path = ADDON_PATH): Addon | Error {
  try {
    return createRequire(import.meta.url)(path) as Addon;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

/** Node's default list, split the way Node splits it: TLS 1.3 suites are the `TLS_` names. */
function cipherSettings(): { list: string; suites: string } {
  const all = DEFAULT_CIPHERS.split(':');
  return {
    list: all.filter((c) => !c.startsWith('TLS_')).join(':'),
    suites: all.filter((c) => c.startsWith('TLS_')).join(':'),
  };
}

/** A handshake under way: who waits, and where the client is (for its socket). */
interface Waiting {
  resolve: (s: LeanSocket | null) => void;
  address: string | undefined;
  port: number | undefined;
}
/** Handshakes under way and open sessions in this process, by native id (unique per process). */
const waiting = new Map<number, Waiting>();
const sessions = new Map<number, LeanSocket>();
let startedWith: Addon | null = null;
/** What sessions call (one object for all); a session destroyed by JS leaves the table at once. */
let ops: LeanSocketOps | null = null;

function onEvent(kind: number, id: number, arg: unknown): void {
  if (kind === EV_DATA) {
    sessions.get(id)?.onData(arg as Buffer);
  } else if (kind === EV_SENT) {
    sessions.get(id)?.onSent(arg as number);
  } else if (kind === EV_OPEN) {
    const w = waiting.get(id);
    waiting.delete(id);
    if (!w) {
      ops!.destroy(id); // nobody waits any more (its front was closed)
      return;
    }
    // Registered before anyone listens: what arrives meanwhile is held until a 'data' listener.
    const s = new LeanSocket(id, ops!, w.address, w.port);
    sessions.set(id, s);
    w.resolve(s);
  } else if (kind === EV_FAIL) {
    const w = waiting.get(id);
    waiting.delete(id);
    w?.resolve(null);
  } else if (kind === EV_END) {
    sessions.get(id)?.onEnd();
  } else if (kind === EV_CLOSE) {
    const s = sessions.get(id);
    sessions.delete(id);
    s?.onClose();
  }
}

export function startTlsFront(
  addon: Addon,
  opts: { cert: string; key: string; handshakeTimeoutMs: number; maxSessions?: number },
): TlsFront {
  const maxSessions = opts.maxSessions ?? Infinity;
  const ciphers = cipherSettings();
  let context = addon.createContext(opts.cert, opts.key, ciphers.list, ciphers.suites);
  // One native thread per process, whatever the number of servers in it (tests run several).
  if (startedWith !== addon) {
    ops = {
      send: addon.send,
      end: addon.end,
      ack: addon.ack,
      destroy: (id) => {
        sessions.delete(id);
        addon.destroy(id);
      },
    };
    addon.start(onEvent);
    startedWith = addon;
  }
  const mine = new Set<number>();
  let closed = false;
  return {
    adopt(raw) {
      const fd = (raw as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
      if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no descriptor to hand over');
      if (closed) throw new Error('TLS front closed');
      if (addon.live() >= maxSessions) throw new Error(`${maxSessions} native TLS sessions already`);
      const id = addon.adopt(fd, opts.handshakeTimeoutMs, context);
      const address = raw.remoteAddress;
      const port = raw.remotePort;
      // The native side has its own duplicate: closing ours does not close the connection.
      raw.destroy();
      mine.add(id);
      return new Promise((resolve) =>
        waiting.set(id, {
          resolve: (s) => {
            mine.delete(id);
            resolve(s);
          },
          address,
          port,
        }),
      );
    },
    setContext(cert, key) {
      context = addon.createContext(cert, key, ciphers.list, ciphers.suites);
    },
    live: () => addon.live(),
    ownRecords: () => addon.stats().ownRecords,
    close() {
      if (closed) return;
      closed = true;
      for (const id of mine) {
        addon.cancel(id);
        waiting.get(id)?.resolve(null);
        waiting.delete(id);
      }
      mine.clear();
    },
  };
}

/**
 * The front for `tls.engine`, or null for Node's TLS. "native" that cannot load stops the start;
 * "auto" falls back to Node's TLS and says so in the log.
 */
export function openTlsFront(
  engine: 'auto' | 'native' | 'node',
  material: { cert: string; key: string },
  handshakeTimeoutMs: number,
  log: Logger,
): TlsFront | null {
  if (engine === 'node') {
    log.info({ engine: 'node' }, 'TLS engine: node (tls.engine = "node")');
    return null;
  }
  const addon = loadTlsFrontAddon();
  if (addon instanceof Error) {
    const why = addon.message.split('\n')[0] ?? '';
    if (engine === 'native')
      throw new Error(
        `tls.engine = "native" but the native TLS front cannot be loaded (${why}); ` +
          'run `npm install` on a machine with a C++ compiler, or set tls.engine = "auto"',
      );
    log.info({ engine: 'node', reason: why }, 'TLS engine: node (the native TLS front is not built)');
    return null;
  }
  // A native session holds one descriptor (its TCP socket), as a Node TLS one does, plus for an
  // instant the duplicate adopt() takes before JS closes its own. The cap leaves room for everything
  // else the process opens (database, blobs, logs, listeners): past it, or when a descriptor cannot
  // be had, a connection gets Node's TLS, which then refuses in the ordinary way (EMFILE at accept).
  const limit = openFilesLimit();
  const maxSessions = limit === null ? undefined : Math.max(Math.floor(limit / 2), limit - 1024);
  const front = startTlsFront(addon, {
    ...material,
    handshakeTimeoutMs,
    ...(maxSessions !== undefined ? { maxSessions } : {}),
  });
  log.info(
    { engine: 'native', openFilesLimit: limit, nativeSessionsMax: maxSessions },
    'TLS engine: native (implicit TLS in a native OpenSSL thread; Node TLS past nativeSessionsMax)',
  );
  return front;
}

/** The process's soft RLIMIT_NOFILE (Node raises it to the hard limit at start), null if unknown. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
