// Several serving processes on one machine (`workers` in the config): Node's cluster module shares
// every listening socket, and the primary hands each new connection to the next worker. One Node
// process runs JavaScript on one core; SMTP delivery and IMAP sessions spend most of their time
// there, so a second core does nothing for a single process.
//
// The primary serves nothing itself. It takes the data-directory lock, runs the migrations, makes
// the self-signed certificate and the demo mailbox before any worker starts (so workers never race
// for them), prints the banner once every worker listens, runs the hourly housekeeping, restarts a
// worker that dies, and relays "mail changed" notices between workers so an IDLE session in one
// wakes at once for a delivery made by another (the store's change feed, polled, is the fallback).
// Every worker opens the store itself: SQLite's WAL and BEGIN IMMEDIATE serialise the writers of
// several processes, PostgreSQL shares anyway, and the outbound queue is leased row by row.
// Limits counted in memory (connections per IP, sessions per user) are counted per worker.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { lockDataDir } from '../server/lock.js';
import { loadTls } from '../server/tls.js';
import { createCoreEvents, type Core, type CoreEvents } from '../core/context.js';
import { openCore } from './compose.js';
import { demoLines, listenerLines, VERSION } from './banner.js';
import { createDemo, isEmptyDir } from './first-start.js';
import { startMaintenance } from './maintenance.js';

type ToPrimary =
  { t: 'ready'; ports: Record<string, number> } | { t: 'failed'; message: string } | { t: 'mail'; a: number };
type ToWorker = { t: 'mail'; a: number };

/** A worker could not start: its own message, reported once by the primary. */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

/** Restarts within this window beyond this count mean something is broken for good: stop. */
const RESTART_WINDOW_MS = 60_000;
const MAX_RESTARTS = 5;
const STOP_GRACE_MS = 20_000;

export function workerCount(config: Config): number {
  return config.workers === 0 ? availableParallelism() : config.workers;
}

export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Core events of a worker: local listeners, plus the other workers through the primary. */
export function relayedEvents(): CoreEvents {
  const local = createCoreEvents();
  process.on('message', (m: ToWorker) => {
    if (m?.t === 'mail') local.mailChanged(m.a);
  });
  return {
    mailChanged(addressId) {
      local.mailChanged(addressId);
      send({ t: 'mail', a: addressId });
    },
    onMailChanged: (fn) => local.onMailChanged(fn),
  };
}

function send(m: ToPrimary): void {
  if (process.connected) process.send?.(m);
}

/** A worker listens on every configured port. */
export function reportReady(ports: Record<string, number>): void {
  send({ t: 'ready', ports });
}

/** A worker could not start (a port taken, the store unreachable...): the primary reports it. */
export function reportFailed(message: string): void {
  send({ t: 'failed', message });
}

export async function runPrimary(config: Config): Promise<number> {
  const n = workerCount(config);
  const log = createLogger(config.log.level);
  const firstStart = isEmptyDir(config.data_dir);
  const unlock = lockDataDir(config.data_dir);
  let core: Core | undefined;
  const workers = new Set<Worker>();
  let stopping = false;
  try {
    // No background checkpoint thread here: the primary writes next to nothing (the workers, which
    // deliver, each run one); SQLite's own automatic checkpoints are enough for it.
    core = await openCore(config, log);
    const tls = await loadTls({
      cert: config.tls.cert,
      key: config.tls.key,
      dataDir: config.data_dir,
      hostname: config.hostname,
    });
    const demo = firstStart && config.create_demo ? await createDemo(core) : undefined;

    let stop: (why: { code: number; reason: string }) => void = () => undefined;
    const stopped = new Promise<{ code: number; reason: string }>((resolve) => (stop = resolve));
    const restarts: number[] = [];

    const fork = (): Promise<Record<string, number>> => {
      const w = cluster.fork();
      workers.add(w);
      return new Promise((resolve, reject) => {
        let ready = false;
        w.on('message', (m: ToPrimary) => {
          if (m?.t === 'mail') {
            for (const other of workers) if (other !== w && other.isConnected()) other.send(m);
          } else if (m?.t === 'ready') {
            ready = true;
            resolve(m.ports);
          } else if (m?.t === 'failed') {
            reject(new WorkerStartError(`a worker could not start: ${m.message}`));
          }
        });
        w.on('exit', (code, signal) => {
          workers.delete(w);
          if (!ready) {
            reject(new WorkerStartError(`a worker exited during start-up (${signal ?? `exit ${code}`})`));
            return;
          }
          if (stopping) return;
          log.error({ pid: w.process.pid, code, signal }, 'worker died; starting another');
          const now = Date.now();
          restarts.push(now);
          while (restarts.length && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
          if (restarts.length > MAX_RESTARTS) {
            stop({ code: 1, reason: `${restarts.length} worker restarts within a minute` });
            return;
          }
          fork().catch((err: unknown) => stop({ code: 1, reason: `worker restart failed: ${String(err)}` }));
        });
      });
    };

    let ports: Record<string, number>;
    try {
      const all = await Promise.all(Array.from({ length: n }, () => fork()));
      ports = all[0]!;
    } catch (e) {
      stopping = true;
      await stopWorkers(workers);
      throw e;
    }

    const lines = [
      `Mailstead ${VERSION} serving ${config.hostname} (store: ${config.store.kind}, data: ${config.data_dir})`,
      ...listenerLines(config, ports),
      `  Workers: ${n} processes`,
    ];
    if (tls.selfSigned)
      lines.push(`  TLS: self-signed certificate in ${config.data_dir}/tls (clients will warn)`);
    if (demo) lines.push(...demoLines(demo));
    process.stdout.write(lines.join('\n') + '\n');
    const maintenance = startMaintenance(core, config, log);

    process.once('SIGTERM', () => stop({ code: 0, reason: 'SIGTERM' }));
    process.once('SIGINT', () => stop({ code: 0, reason: 'SIGINT' }));
    const why = await stopped;
    stopping = true;
    clearInterval(maintenance);
    log.info({ reason: why.reason }, 'shutting down: draining the workers');
    if (why.code !== 0) log.error({ reason: why.reason }, 'stopping');
    await stopWorkers(workers);
    return why.code;
  } finally {
    await core?.store.close();
    unlock();
  }
}

/** SIGTERM to each worker (they drain their sessions), SIGKILL to any still there after the grace. */
async function stopWorkers(workers: Set<Worker>): Promise<void> {
  const exits = [...workers].map(
    (w) =>
      new Promise<void>((resolve) => {
        if (w.isDead()) return resolve();
        w.once('exit', () => resolve());
        w.process.kill('SIGTERM');
        setTimeout(() => {
          if (!w.isDead()) w.process.kill('SIGKILL');
        }, STOP_GRACE_MS).unref();
      }),
  );
  await Promise.all(exits);
}
