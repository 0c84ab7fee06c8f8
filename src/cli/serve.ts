// `mailstead serve`: the composition root. Config -> lock -> store -> core -> every enabled
// listener; a banner; SIGTERM/SIGINT drain the sessions and exit 0. With `workers` > 1 the same code
// runs in each worker process of a cluster (cluster.ts): the primary holds the lock, prints the
// banner and does the housekeeping; the workers serve.
import type { Config } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { lockDataDir } from '../server/lock.js';
import { loadTls } from '../server/tls.js';
import { startListeners, type ListenerSpec } from '../server/listener.js';
import { openTlsFront, type TlsFront } from '../server/tls-native.js';
import { createHttpService } from '../http/server.js';
import type { Core } from '../core/context.js';
import { openCore } from './compose.js';
import { protocolHandlers } from './protocols.js';
import { demoLines, listenerLines, SERVICES, VERSION } from './banner.js';
import { createDemo, isEmptyDir } from './first-start.js';
import { startMaintenance } from './maintenance.js';

export { VERSION } from './banner.js';
import {
  isClusterWorker,
  relayedEvents,
  reportFailed,
  reportReady,
  runPrimary,
  workerCount,
} from './cluster.js';

export async function serve(config: Config): Promise<number> {
  if (workerCount(config) > 1 && !isClusterWorker()) return runPrimary(config);
  if (!isClusterWorker()) return serveProcess(config);
  try {
    return await serveProcess(config);
  } catch (e) {
    // The primary prints it (a port taken, the store unreachable...) and stops the others.
    reportFailed(e instanceof Error ? e.message : String(e));
    return 1;
  } finally {
    // The IPC channel to the primary would keep a finished worker alive.
    if (process.connected) process.disconnect();
  }
}

/** One serving process: the whole server, or one worker of a cluster. */
async function serveProcess(config: Config): Promise<number> {
  const worker = isClusterWorker();
  const log = createLogger(config.log.level);
  const firstStart = !worker && isEmptyDir(config.data_dir);
  // A cluster's primary holds the lock for its workers.
  const unlock = worker ? () => undefined : lockDataDir(config.data_dir);
  let core: Core | undefined;
  let front: TlsFront | null = null;
  try {
    core = await openCore(config, log, { server: true, ...(worker ? { events: relayedEvents() } : {}) });
    const tls = await loadTls({
      cert: config.tls.cert,
      key: config.tls.key,
      dataDir: config.data_dir,
      hostname: config.hostname,
    });
    const startedAt = Date.now();
    const http = createHttpService(core, { version: VERSION, startedAt });
    const protocols = await protocolHandlers(core, config, tls);

    const specs: ListenerSpec[] = [];
    for (const s of SERVICES) {
      const port = config.listen[s.key];
      if (typeof port !== 'number' || port === 0) continue;
      const handler = s.key === 'http' ? http.handler : protocols.handlers[s.key];
      if (!handler) {
        log.warn({ service: s.key }, 'this service is not available in this build yet; listener not started');
        continue;
      }
      // SMTP's library and the HTTP server take the socket as a stream: a net.Socket (module docs).
      const nodeSocket = s.key === 'smtp' || s.key.startsWith('submission') || s.key === 'http';
      specs.push({ name: s.key, port, tls: s.tls, handler, nodeSocket });
    }
    const handshakeTimeoutMs = config.tls.handshake_timeout * 1000;
    if (specs.some((s) => s.tls === 'implicit'))
      front = openTlsFront(config.tls.engine, tls, handshakeTimeoutMs, log);
    const listeners = await startListeners(specs, {
      bind: config.listen.bind,
      tls: () => tls.context,
      log,
      maxConnectionsPerIp: config.limits.connections_per_ip,
      proxyProtocol: config.listen.proxy_protocol,
      tlsFront: front,
      handshakeTimeoutMs,
    });

    let maintenance: NodeJS.Timeout | undefined;
    if (worker) {
      reportReady(listeners.ports);
    } else {
      const demo = firstStart && config.create_demo ? await createDemo(core) : undefined;
      const lines = [
        `Mailstead ${VERSION} serving ${config.hostname} (store: ${config.store.kind}, data: ${config.data_dir})`,
        ...listenerLines(config, listeners.ports),
      ];
      if (tls.selfSigned)
        lines.push(`  TLS: self-signed certificate in ${config.data_dir}/tls (clients will warn)`);
      if (demo) lines.push(...demoLines(demo));
      process.stdout.write(lines.join('\n') + '\n');
      maintenance = startMaintenance(core, config, log);
    }

    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        log.info({ signal: sig }, 'shutting down: draining sessions');
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      // A worker whose primary is gone stops too.
      if (worker) process.once('disconnect', () => stop('primary gone'));
    });
    clearInterval(maintenance);
    // Together: the listeners stop accepting and say BYE to IMAP/POP3/ManageSieve sessions while
    // SMTP answers 421 to its sessions and the queue worker finishes its round.
    http.close();
    await Promise.all([listeners.close(10_000), protocols.close()]);
    return 0;
  } finally {
    // After the listeners' drain: the sessions left have been destroyed, handshakes are cut here.
    front?.close();
    await core?.store.close();
    unlock();
  }
}
