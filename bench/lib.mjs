// Shared helpers for the bench scripts: start Mailstead on loopback with a generated config, tiny raw
// SMTP and IMAP clients (the same client code drives Mailstead and the Debian reference servers, so
// ratios compare servers, not client libraries), percentiles, machine facts and RESULTS.md output.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const ROOT = new URL('..', import.meta.url).pathname;
export let BIN = join(ROOT, 'bin', 'mailstead');

/**
 * Other engineers rebuild dist/ while a bench runs; a half-emitted dist/ would look like a server
 * crash. So the benches run a snapshot: a copy of dist/ and bin/ (node_modules linked), taken once
 * it loads (set MAILSTEAD_BENCH_LIVE=1 to run the checkout's dist/ directly).
 */
export function snapshotBuild() {
  if (process.env.MAILSTEAD_BENCH_LIVE === '1') return ROOT;
  const dir = mkdtempSync(join(tmpdir(), 'ms-bench-build-'));
  for (let attempt = 1; ; attempt++) {
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    // The native TLS front, if built (tls.engine "auto"/"native" load it relative to dist/).
    const addon = join(ROOT, 'native', 'tls-front', 'build', 'Release', 'tls_front.node');
    if (existsSync(addon)) cpSync(addon, join(dir, 'native', 'tls-front', 'build', 'Release', 'tls_front.node'));
    if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const r = spawnSync(process.execPath, [join(dir, 'bin', 'mailstead'), 'admin', '--help'], { encoding: 'utf8' });
    if (!/SyntaxError|ERR_MODULE_NOT_FOUND|not built/.test(r.stderr + r.stdout)) break;
    if (attempt >= 20) throw new Error(`dist/ does not load: ${r.stderr}`);
    spawnSync('sleep', ['3']);
  }
  BIN = join(dir, 'bin', 'mailstead');
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
export const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
export const PG_URL = process.env.MAILSTEAD_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Parses `--key value` and `--flag` arguments after the bench name. */
export function parseArgs(argv) {
  const out = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const k = a.slice(2);
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) out[k] = true;
      else {
        out[k] = v;
        i++;
      }
    } else out._.push(a);
  }
  return out;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(a.port));
    });
  });
}

export async function waitPort(port, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`port ${port} did not open`);
}

const SERVICES = ['smtp', 'submission', 'submissions', 'imap', 'imaps', 'pop3', 'pop3s', 'managesieve', 'http'];

/**
 * A Mailstead server as users run it (bin/mailstead serve), in its own process group so a SIGKILL
 * takes everything it started. `dataDir` may be given (e.g. a tmpfs mount); `bin` another build's
 * bin/mailstead (e.g. a baseline checkout, for before/after in one run).
 */
export async function mailstead(opts = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ms-bench-'));
  const dataDir = opts.dataDir ?? join(dir, 'data');
  const ports = {};
  for (const s of SERVICES) ports[s] = (opts.services ?? SERVICES).includes(s) ? await freePort() : 0;
  const schema = opts.store === 'postgres' ? `bench_${randomBytes(5).toString('hex')}` : '';
  const config = join(dir, 'mailstead.toml');
  writeFileSync(
    config,
    [
      `hostname = "mail.example.test"`,
      `data_dir = "${dataDir}"`,
      ...(opts.workers ? [`workers = ${opts.workers}`] : []),
      `[listen]`,
      `bind = "127.0.0.1"`,
      ...SERVICES.map((s) => `${s} = ${ports[s]}`),
      `[store]`,
      `kind = "${opts.store ?? 'sqlite'}"`,
      ...(opts.store === 'postgres' ? [`url = "${PG_URL}"`, `schema = "${schema}"`] : []),
      ...(opts.tlsEngine ? [`[tls]`, `engine = "${opts.tlsEngine}"`] : []),
      `[log]`,
      `level = "${opts.logLevel ?? 'warn'}"`,
      `[limits]`,
      `connections_per_ip = ${opts.connectionsPerIp ?? 5000}`,
      `connections_per_user = ${opts.connectionsPerUser ?? 5000}`,
      opts.extra ?? '',
    ].join('\n') + '\n',
  );
  const logFile = join(dir, 'server.log');
  const srv = {
    dir,
    dataDir,
    config,
    ports,
    schema,
    store: opts.store ?? 'sqlite',
    proc: undefined,
    starts: 0,
    admin(...args) {
      const r = spawnSync(process.execPath, [opts.bin ?? BIN, 'admin', ...args, '--config', config], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`admin ${args.join(' ')}: ${r.stderr || r.stdout}`);
      return r.stdout;
    },
    async start() {
      const argv = [process.execPath, ...(opts.nodeArgs ?? []), opts.bin ?? BIN, 'serve', '--config', config];
      // prlimit execs the server in place (same pid) with the descriptor limit raised (root only).
      if (opts.nofile) argv.unshift('prlimit', `--nofile=${opts.nofile}:${opts.nofile}`);
      const p = spawn(argv[0], argv.slice(1), {
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      srv.proc = p;
      srv.starts++;
      let out = '';
      const onData = (d) => {
        appendFileSync(logFile, d);
        if (out.length < 4096) out += d.toString();
      };
      p.stdout.on('data', onData);
      p.stderr.on('data', onData);
      p.exited = new Promise((r) => p.once('exit', (code, sig) => r({ code, sig })));
      const end = Date.now() + 60_000;
      while (!out.includes(' serving ')) {
        if (p.exitCode !== null || p.signalCode !== null) throw new Error(`server exited: ${out}`);
        if (Date.now() > end) throw new Error(`server did not start: ${out}`);
        await sleep(20);
      }
      return p;
    },
    /** SIGKILL the server's process group and wait for it to be gone. */
    async kill() {
      const p = srv.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        p.kill('SIGKILL');
      }
      await p.exited;
    },
    async stop() {
      const p = srv.proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      p.kill('SIGTERM');
      const t = setTimeout(() => srv.kill(), 15_000);
      await p.exited;
      clearTimeout(t);
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    /** Stops the server and removes its directory (not when the caller keeps it for a failure). */
    async cleanup() {
      await srv.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  return srv;
}

export async function setupUsers(srv, n, domain = 'example.test') {
  srv.admin('domain', 'add', domain);
  for (let i = 1; i <= n; i++) srv.admin('address', 'add', `user${i}@${domain}`, '--password', 'pass');
}

/** Drops a PostgreSQL schema left by a bench run. */
export async function dropSchema(schema) {
  if (!schema) return;
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`drop schema if exists "${schema}" cascade`);
  await c.end();
}

// ---------------------------------------------------------------------------------------------
// A line-oriented socket: read one CRLF line at a time, or raw bytes for literals.

export class LineSocket {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.waiters = [];
    this.closed = false;
    this.error = undefined;
    sock.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.pump();
    });
    const end = (e) => {
      this.closed = true;
      if (e) this.error = e;
      this.pump();
    };
    sock.on('error', end);
    sock.on('close', () => end());
  }
  pump() {
    while (this.waiters.length) {
      const w = this.waiters[0];
      let v;
      if (w.kind === 'line') {
        const i = this.buf.indexOf('\r\n');
        if (i < 0) {
          if (this.closed) return this.failAll();
          return;
        }
        v = this.buf.subarray(0, i);
        this.buf = this.buf.subarray(i + 2);
      } else {
        if (this.buf.length < w.n) {
          if (this.closed) return this.failAll();
          return;
        }
        v = this.buf.subarray(0, w.n);
        this.buf = this.buf.subarray(w.n);
      }
      this.waiters.shift();
      w.resolve(v);
    }
  }
  failAll() {
    const e = this.error ?? new Error('connection closed');
    for (const w of this.waiters.splice(0)) w.reject(e);
  }
  line() {
    return new Promise((resolve, reject) => {
      this.waiters.push({ kind: 'line', resolve, reject });
      this.pump();
    });
  }
  bytes(n) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ kind: 'bytes', n, resolve, reject });
      this.pump();
    });
  }
  write(s) {
    if (!this.sock.destroyed) this.sock.write(s);
  }
  destroy() {
    this.sock.destroy();
  }
}

function openSocket(port, tls, timeoutMs) {
  return new Promise((resolve, reject) => {
    const s = tls
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false })
      : netConnect(port, '127.0.0.1');
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    s.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(t);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`${what} timeout`)), ms))),
  ]);
}

// ---------------------------------------------------------------------------------------------
// SMTP

export class SmtpClient {
  static async connect(port, { timeoutMs = 30_000 } = {}) {
    const c = new SmtpClient();
    c.timeoutMs = timeoutMs;
    c.ls = new LineSocket(await openSocket(port, false, timeoutMs));
    const g = await c.reply();
    if (g.code !== 220) throw new Error(`greeting: ${g.text}`);
    return c;
  }
  async reply() {
    const lines = [];
    for (;;) {
      const l = (await withTimeout(this.ls.line(), this.timeoutMs, 'smtp reply')).toString('latin1');
      lines.push(l);
      if (l[3] !== '-') break;
    }
    const last = lines[lines.length - 1];
    return { code: Number(last.slice(0, 3)), text: lines.join('\n') };
  }
  async cmd(line) {
    this.ls.write(line + '\r\n');
    return this.reply();
  }
  async ehlo(name = 'mx.remote.test') {
    const r = await this.cmd(`EHLO ${name}`);
    if (r.code !== 250) throw new Error(`EHLO: ${r.text}`);
    return r;
  }
  /** One transaction; returns the final reply (250 = accepted). Throws only on I/O problems. */
  async send(from, rcpts, raw) {
    let r = await this.cmd(`MAIL FROM:<${from}>`);
    if (r.code !== 250) return r;
    let ok = 0;
    let last = r;
    for (const t of rcpts) {
      last = await this.cmd(`RCPT TO:<${t}>`);
      if (last.code === 250) ok++;
    }
    if (ok === 0) {
      await this.cmd('RSET');
      return last;
    }
    r = await this.cmd('DATA');
    if (r.code !== 354) return r;
    const body = Buffer.isBuffer(raw) ? raw.toString('latin1') : raw;
    const stuffed = body.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.ls.write(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    return this.reply();
  }
  async quit() {
    try {
      await withTimeout(this.cmd('QUIT'), 2000, 'quit');
    } catch {
      /* closing anyway */
    }
    this.ls.destroy();
  }
  destroy() {
    this.ls.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// IMAP

export class ImapClient {
  static async connect(port, { tls = true, timeoutMs = 30_000 } = {}) {
    const c = new ImapClient();
    c.timeoutMs = timeoutMs;
    c.n = 0;
    c.ls = new LineSocket(await openSocket(port, tls, timeoutMs));
    const g = (await withTimeout(c.ls.line(), timeoutMs, 'imap greeting')).toString('latin1');
    if (!g.startsWith('* OK')) throw new Error(`greeting: ${g}`);
    return c;
  }
  /** One untagged or tagged response line with its literals inlined (as Buffers in `parts`). */
  async readResponse() {
    const parts = [];
    let text = '';
    for (;;) {
      const l = (await withTimeout(this.ls.line(), this.timeoutMs, 'imap response')).toString('latin1');
      text += l;
      const m = /\{(\d+)\+?\}$/.exec(l);
      if (!m) break;
      const lit = await withTimeout(this.ls.bytes(Number(m[1])), this.timeoutMs, 'imap literal');
      parts.push(lit);
      text += `{literal ${lit.length}}`;
    }
    return { text, parts };
  }
  /** Sends a tagged command; resolves with { status, text, untagged[] }. */
  async cmd(line, literal) {
    const tag = `A${++this.n}`;
    if (literal !== undefined) {
      const lit = Buffer.isBuffer(literal) ? literal : Buffer.from(literal, 'latin1');
      this.ls.write(`${tag} ${line} {${lit.length}}\r\n`);
      const cont = await this.readResponse();
      if (!cont.text.startsWith('+')) return { status: cont.text.split(' ')[1], text: cont.text, untagged: [] };
      this.ls.write(lit);
      this.ls.write('\r\n');
    } else this.ls.write(`${tag} ${line}\r\n`);
    const untagged = [];
    for (;;) {
      const r = await this.readResponse();
      if (r.text.startsWith(tag + ' ')) {
        return { status: r.text.slice(tag.length + 1).split(' ')[0], text: r.text, untagged };
      }
      untagged.push(r);
    }
  }
  async login(user, pass) {
    const r = await this.cmd(`LOGIN "${user}" "${pass}"`);
    if (r.status !== 'OK') throw new Error(`LOGIN: ${r.text}`);
  }
  async logout() {
    try {
      await withTimeout(this.cmd('LOGOUT'), 2000, 'logout');
    } catch {
      /* closing anyway */
    }
    this.ls.destroy();
  }
  destroy() {
    this.ls.destroy();
  }
}

/** Extracts the Message-ID of every FETCH response part. */
export function messageIds(untagged) {
  const ids = [];
  for (const u of untagged) {
    for (const p of u.parts) {
      const m = /Message-ID:\s*(<[^>]+>)/i.exec(p.toString('latin1'));
      if (m) ids.push(m[1]);
    }
  }
  return ids;
}

// ---------------------------------------------------------------------------------------------
// Messages and figures

let seq = 0;
export function makeMessage({ from = 'load@remote.test', to = 'user1@example.test', size = 2000, tag = 'b' } = {}) {
  const id = `<${tag}.${process.pid}.${Date.now().toString(36)}.${++seq}.${randomBytes(4).toString('hex')}@remote.test>`;
  const head =
    `From: Load <${from}>\r\nTo: <${to}>\r\nSubject: bench ${seq}\r\n` +
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}\r\nMessage-ID: ${id}\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`;
  const line = 'The quick brown fox jumps over the lazy dog 0123456789 abcdefghij.\r\n';
  let body = '';
  while (head.length + body.length < size) body += line;
  return { id, raw: head + body };
}

export function percentiles(values) {
  if (values.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1] };
}

export const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

function cmdOut(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? (r.stdout || r.stderr).trim() : undefined;
}

export function machine() {
  const cores = cpus().length;
  const model = cpus()[0]?.model ?? '?';
  const mem = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return { cores, model, mem, load };
}

export function versions() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const rev = cmdOut('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']) ?? '?';
  const v = { mailstead: `${pkg.version} (${rev})`, node: process.version };
  const postfix = cmdOut('/usr/sbin/postconf', ['-h', 'mail_version']);
  if (postfix) v.postfix = postfix;
  const dovecot = cmdOut('/usr/sbin/dovecot', ['--version']);
  if (dovecot) v.dovecot = dovecot;
  const pigeonhole = cmdOut('dpkg-query', ['-W', '-f=${Version}', 'dovecot-sieve']);
  if (pigeonhole) v['dovecot-sieve'] = pigeonhole;
  const sqlite = cmdOut(process.execPath, [
    '-e',
    `const D=require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});console.log(new D(':memory:').prepare('select sqlite_version() v').get().v)`,
  ]);
  if (sqlite) v.sqlite = sqlite;
  return v;
}

/** Appends one section to bench/RESULTS.md: a heading with date, machine and versions, then the body. */
export function appendResults(title, lines, extraVersions = {}) {
  const m = machine();
  const v = { ...versions(), ...extraVersions };
  const header = [
    '',
    `## ${title} — ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Machine: ${m.cores} cores (${m.model}), ${m.mem} RAM, load average at start ${m.load} ` +
      `(shared with other engineers' builds and tests: figures were taken under load).  `,
    `Versions: ${Object.entries(v)
      .map(([k, x]) => `${k} ${x}`)
      .join(', ')}`,
    '',
  ];
  if (!existsSync(RESULTS)) writeFileSync(RESULTS, '# Benchmark and reliability results\n\nAppended by `npm run bench -- NAME` (see README.md). Newest last.\n');
  appendFileSync(RESULTS, header.join('\n') + lines.join('\n') + '\n');
}
