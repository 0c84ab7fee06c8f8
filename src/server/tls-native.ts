// The native TLS front (native/tls-front, `tls.engine = "native"`): TLS for implicit-TLS listeners
// done by OpenSSL in one native thread, outside Node's TLSSocket, whose per-connection cost (~27 kB)
// keeps 10,000 idle IMAPS sessions far above 300 MB; natively a session costs ~9 kB less. The
// listener still accepts TCP; the accepted descriptor is handed over, and the protocol gets a plain
// socket (one end of a socketpair) carrying the plaintext.
import { closeSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { DEFAULT_CIPHERS } from 'node:tls';
import type { Logger } from './logger.js';

/** The addon's surface (native/tls-front/src/tls_front.cc). */
interface Addon {
  start(
    onResult: (id: number, fd: number, protocol: string, cipher: string, error: string | undefined) => void,
  ): void;
  createContext(cert: string, key: string, cipherList: string, cipherSuites: string): NativeContext;
  adopt(fd: number, handshakeTimeoutMs: number, context: NativeContext): number;
  cancel(id: number): void;
  live(): number;
}
/** An SSL_CTX held by the addon, freed when JS lets go of it (connections keep their reference). */
type NativeContext = { readonly __nativeContext: unique symbol };

export interface TlsFront {
  /**
   * Takes over an accepted TCP socket that libuv is not reading (paused since accept, nothing
   * buffered). Resolves with the plaintext socket once the handshake is done, or null if it failed;
   * `raw` is destroyed then. Throws at once, leaving `raw` alone, if it cannot take the socket (out of
   * descriptors: a native session holds three).
   */
  adopt(raw: Socket): Promise<Socket | null>;
  /** New connections use this certificate and key from now on (a renewed certificate). */
  setContext(cert: string, key: string): void;
  /** Connections the native thread holds in this process (handshaking or open). */
  live(): number;
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

/** Handshakes under way in this process, by native id (ids are unique per process). */
const waiting = new Map<number, (s: Socket | null) => void>();
let startedWith: Addon | null = null;

function onResult(id: number, fd: number): void {
  const resolve = waiting.get(id);
  waiting.delete(id);
  if (!resolve) {
    if (fd >= 0) closeSync(fd); // nobody waits any more (its front was closed)
    return;
  }
  resolve(fd < 0 ? null : new Socket({ fd, readable: true, writable: true }));
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
    addon.start(onResult);
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
      // The native side has its own duplicate: closing ours does not close the connection.
      raw.destroy();
      mine.add(id);
      return new Promise((resolve) =>
        waiting.set(id, (s) => {
          mine.delete(id);
          resolve(s);
        }),
      );
    },
    setContext(cert, key) {
      context = addon.createContext(cert, key, ciphers.list, ciphers.suites);
    },
    live: () => addon.live(),
    close() {
      if (closed) return;
      closed = true;
      for (const id of mine) {
        addon.cancel(id);
        waiting.get(id)?.(null);
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
  // A native session holds three descriptors (TCP socket, both ends of its socketpair), a Node TLS
  // one holds one. Native sessions may take up to half the open-files limit; past that, connections
  // get Node's TLS, so a low limit still holds 2/3 of the sessions Node's TLS alone would (native
  // alone: 1/3) and the first ones get the cheaper engine. With systemd's default (524,288) the
  // bound is far above any real load.
  const limit = openFilesLimit();
  const maxSessions = limit === null ? undefined : Math.floor(limit / 6);
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
