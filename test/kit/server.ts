// Starts the real server (bin/mailstead serve) on loopback with a generated config, as users run it,
// and runs the real admin CLI against the same config.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PG_URL } from './core.js';
import { testTlsEngine } from './tls-front.js';

export const ROOT = new URL('../../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin', 'mailstead');

export const SERVICES = [
  'smtp',
  'submission',
  'submissions',
  'imap',
  'imaps',
  'pop3',
  'pop3s',
  'managesieve',
  'http',
] as const;
export type ServiceName = (typeof SERVICES)[number];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestServer {
  dir: string;
  config: string;
  ports: Record<ServiceName, number>;
  proc: ChildProcess;
  output: () => string;
  admin(...args: string[]): RunResult;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

export function runCli(args: string[]): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  ms = 20_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface ServerOptions {
  store?: 'sqlite' | 'postgres';
  /** Extra TOML appended to the generated config (top-level keys must come before tables: use `top`). */
  extra?: string;
  top?: string;
  services?: ServiceName[];
  /** `tls.engine`; default MAILSTEAD_TEST_TLS_ENGINE, else "auto" (as a user's config). */
  tlsEngine?: 'auto' | 'native' | 'node';
  /** `tls.handshake_timeout` in seconds. */
  handshakeTimeout?: number;
  /** A lower open-files limit for the server (prlimit; lowering needs no privilege). */
  nofile?: number;
}

export async function startServer(opts: ServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ms-e2e-'));
  const ports = {} as Record<ServiceName, number>;
  for (const s of SERVICES) ports[s] = opts.services && !opts.services.includes(s) ? 0 : await freePort();
  const schema = opts.store === 'postgres' ? `e2e_${randomBytes(6).toString('hex')}` : '';
  const config = join(dir, 'mailstead.toml');
  writeFileSync(
    config,
    [
      `hostname = "mx.example.test"`,
      `data_dir = "${join(dir, 'data')}"`,
      opts.top ?? '',
      `[listen]`,
      `bind = "127.0.0.1"`,
      ...SERVICES.map((s) => `${s} = ${ports[s]}`),
      `[store]`,
      `kind = "${opts.store ?? 'sqlite'}"`,
      ...(opts.store === 'postgres' ? [`url = "${PG_URL}"`, `schema = "${schema}"`] : []),
      `[tls]`,
      `engine = "${opts.tlsEngine ?? testTlsEngine()}"`,
      ...(opts.handshakeTimeout !== undefined ? [`handshake_timeout = ${opts.handshakeTimeout}`] : []),
      `[log]`,
      `level = "warn"`,
      opts.extra ?? '',
    ].join('\n') + '\n',
  );
  let out = '';
  let proc!: ChildProcess;
  const launch = async () => {
    const argv = [process.execPath, BIN, 'serve', '--config', config];
    // prlimit execs the server in its place: the same pid.
    if (opts.nofile) argv.unshift('prlimit', `--nofile=${opts.nofile}:${opts.nofile}`);
    proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const before = out.length;
    await waitFor(
      () => out.indexOf(' serving ', before) >= 0 || proc.exitCode !== null,
      30_000,
      'server start',
    );
    if (proc.exitCode !== null) throw new Error(`server exited ${proc.exitCode}: ${out}`);
  };
  await launch();
  const server: TestServer = {
    dir,
    config,
    ports,
    get proc() {
      return proc;
    },
    output: () => out,
    admin: (...args) => runCli(['admin', ...args, '--config', config]),
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const done = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      proc.kill('SIGTERM');
      return done;
    },
    async kill() {
      if (proc.exitCode !== null) return;
      const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await done;
    },
    async restart() {
      await launch();
    },
    async cleanup() {
      await server.kill();
      if (schema) {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}
