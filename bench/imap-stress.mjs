// imaptest stress against Mailstead and against Dovecot in the same run (issue 4's benchmark): the
// same users (user1..userN@example.test, password "pass"), the same mbox, the same imaptest command
// mix, both over IMAPS on loopback. Rounds alternate between the two servers so that the load other
// engineers put on the machine falls on both alike. imaptest's "Totals" counters give commands per
// second per command type; the ratio is Mailstead / Dovecot (higher is better for Mailstead).
//
// imaptest is not part of this repository: build it privately (see test/conformance/IMAPTEST.md) and
// point --imaptest (or $IMAPTEST) at the binary; it runs with LD_LIBRARY_PATH=/usr/lib/dovecot.
//
// Password hashing: by default both servers keep their real memory-hard hashes (Mailstead scrypt
// N=2^15, Dovecot ARGON2ID), so every LOGIN of imaptest's mix costs ~100 ms of CPU on each side.
// --cheap-hashes swaps them for cheap ones (scrypt N=2^10 straight in Mailstead's SQLite file; Dovecot
// {PLAIN}) so the figures show the IMAP command path rather than password hashing.
// --cpu-prof writes a V8 CPU profile of the Mailstead server into --prof-dir (default: a temp dir).
//
//   node bench/imap-stress.mjs [--clients 10] [--secs 15] [--rounds 2] [--users 10] [--cheap-hashes]
//       [--imaptest PATH] [--mbox PATH] [--cpu-prof] [--prof-dir DIR] [--record] [--workers N] [--no-login-cache]
//       [--dovecot-default] [--tls-engine native|node|auto]
// Dovecot runs with its imap processes kept and reused (service_count = 0, process_min_avail = the
// number of clients), its documented tuning for busy servers and the stronger reference;
// --dovecot-default leaves its one-process-per-session default.
// --workers N: Mailstead runs N serving processes (config `workers`), as Dovecot runs one imap
// process per session.
import { spawn } from 'node:child_process';
import { randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResults, fmt, mailstead, parseArgs, ROOT, setupUsers, snapshotBuild } from './lib.mjs';
import { haveReference, startDovecot } from './reference.mjs';

const DEFAULT_IMAPTEST = ['/tmp/imap4/imaptest/src/imaptest', '/tmp/imaptest-build/src/imaptest'];
const DEFAULT_MBOX = '/tmp/imaptest-build/src/tests/default.mbox';

const NAMES = {
  Logi: 'LOGIN',
  List: 'LIST',
  Stat: 'STATUS',
  Sele: 'SELECT',
  Fetc: 'FETCH',
  Fet2: 'FETCH (2nd kind)',
  Stor: 'STORE',
  Dele: 'STORE \\Deleted',
  Expu: 'EXPUNGE',
  Appe: 'APPEND',
  Logo: 'LOGOUT',
};

/** The "Totals:" block of imaptest's stress output: header line, two percentage lines, the counts. */
export function parseTotals(out) {
  const at = out.lastIndexOf('Totals:');
  if (at < 0) return null;
  const lines = out.slice(at).split('\n').slice(1);
  const head = lines[0]?.trim().split(/\s+/) ?? [];
  const counts = lines.slice(1).find((l) => /^\s*\d+(\s+\d+)*\s*$/.test(l));
  if (!counts || head.length === 0) return null;
  const nums = counts.trim().split(/\s+/).map(Number);
  const r = {};
  head.forEach((h, i) => (r[h] = nums[i] ?? 0));
  return r;
}

/** imaptest's last "ms/cmd avg" line: average latency per command type, in the Totals' column order. */
export function parseLatency(out) {
  const ls = out.split('\n').filter((l) => l.includes('ms/cmd avg'));
  const last = ls[ls.length - 1];
  return last ? last.replace('ms/cmd avg', '').trim().split(/\s+/).map(Number) : null;
}

function cheapHash(password) {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

function runImaptest(bin, port, o) {
  const args = [
    'host=127.0.0.1',
    `port=${port}`,
    'ssl=any-cert',
    'user=user%d@example.test',
    `users=${o.users}`,
    'pass=pass',
    `mbox=${o.mbox}`,
    `clients=${o.clients}`,
    `secs=${o.secs}`,
    `seed=${o.seed}`,
  ];
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(bin, args, { env: { ...process.env, LD_LIBRARY_PATH: '/usr/lib/dovecot' } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.once('exit', (code) => {
      const errors = out.split('\n').filter((l) => /^(Error|Panic|Fatal)/.test(l));
      resolve({ code, out, totals: parseTotals(out), latency: parseLatency(out), errors, wallSecs: (Date.now() - t0) / 1000 });
    });
  });
}

export async function run(argv) {
  const a = parseArgs(argv);
  const clients = Number(a.clients ?? 10);
  const secs = Number(a.secs ?? 15);
  const rounds = Number(a.rounds ?? 2);
  const users = Number(a.users ?? 10);
  const cheap = Boolean(a['cheap-hashes']);
  const bin = a.imaptest ?? process.env.IMAPTEST ?? DEFAULT_IMAPTEST.find((p) => existsSync(p));
  const mbox = a.mbox ?? DEFAULT_MBOX;
  if (!bin || !existsSync(bin)) throw new Error('imaptest not found: build it privately and pass --imaptest PATH');
  if (!existsSync(mbox)) throw new Error(`mbox not found: ${mbox} (pass --mbox PATH)`);
  if (!haveReference()) throw new Error('Dovecot missing: apt-get install -y dovecot-imapd dovecot-lmtpd');
  const profDir = a['prof-dir'] ?? (a['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'ms-imap-prof-')) : '');

  const workers = Number(a.workers ?? 1);
  const srv = await mailstead({
    services: ['imaps'],
    workers,
    nodeArgs: a['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
    ...(a['tls-engine'] ? { tlsEngine: String(a['tls-engine']) } : {}),
    // Every LOGIN runs scrypt (the verified-login cache, on by default, skips it for a password that
    // verified within the last ten minutes).
    ...(a['no-login-cache'] ? { extra: '[auth]\nverified_login_cache = 0' } : {}),
  });
  await srv.start();
  const names = Array.from({ length: users }, (_, i) => `user${i + 1}`);
  // Dovecot's default starts one imap process per session, which costs it dearly on machines where
  // fork+exec is slow (4 ms here on 2026-11-27: 472 commands/s). The reference is Dovecot at its best:
  // imap processes kept and reused (its documented tuning); --dovecot-default measures the default.
  const reuse = a['dovecot-default'] ? 0 : clients;
  const dc = await startDovecot({ users: names, scheme: cheap ? 'PLAIN' : 'ARGON2ID', imapReuse: reuse });
  const sum = { mailstead: {}, dovecot: {} };
  const wall = { mailstead: 0, dovecot: 0 };
  const errors = { mailstead: [], dovecot: [] };
  const lat = { mailstead: [], dovecot: [] };
  try {
    await setupUsers(srv, users);
    if (cheap) {
      const Database = createRequire(join(ROOT, 'package.json'))('better-sqlite3');
      const db = new Database(join(srv.dataDir, 'mailstead.db'));
      db.prepare('update addresses set password_hash = ?').run(cheapHash('pass'));
      db.close();
    }
    const targets = [
      ['mailstead', srv.ports.imaps],
      ['dovecot', dc.ports.imaps],
    ];
    for (let r = 0; r < rounds; r++) {
      for (const [name, port] of r % 2 === 0 ? targets : [...targets].reverse()) {
        const res = await runImaptest(bin, port, { users, mbox, clients, secs, seed: r + 1 });
        if (!res.totals) throw new Error(`${name}: no imaptest totals (exit ${res.code}):\n${res.out.slice(-2000)}`);
        for (const [k, v] of Object.entries(res.totals)) sum[name][k] = (sum[name][k] ?? 0) + v;
        wall[name] += secs;
        errors[name].push(...res.errors);
        if (res.latency) lat[name].push(res.latency);
        const tot = Object.values(res.totals).reduce((x, y) => x + y, 0);
        console.log(`round ${r + 1} ${name}: ${tot} commands in ${secs} s = ${fmt(tot / secs)}/s, ${res.errors.length} errors, exit ${res.code}`);
      }
    }
  } finally {
    await srv.stop();
    await dc.stop();
    await srv.cleanup();
  }

  const keys = Object.keys(sum.dovecot).length ? Object.keys(sum.dovecot) : Object.keys(sum.mailstead);
  const rate = (n, k) => (sum[n][k] ?? 0) / wall[n];
  const total = (n) => keys.reduce((x, k) => x + rate(n, k), 0);
  // Latency: mean over rounds of imaptest's per-round averages (ms per command).
  const ms = (n, i) => lat[n].length ? lat[n].reduce((x, l) => x + (l[i] ?? 0), 0) / lat[n].length : NaN;
  const rows = keys.map(
    (k, i) =>
      `| ${NAMES[k] ?? k} | ${fmt(rate('mailstead', k))} | ${fmt(rate('dovecot', k))} | ${fmt(rate('mailstead', k) / rate('dovecot', k), 2)} | ${fmt(ms('mailstead', i))} / ${fmt(ms('dovecot', i))} |`,
  );
  const lines = [
    `\`node bench/imap-stress.mjs --clients ${clients} --secs ${secs} --rounds ${rounds} --users ${users}${cheap ? ' --cheap-hashes' : ''}${workers > 1 ? ` --workers ${workers}` : ''}${a['tls-engine'] ? ` --tls-engine ${a['tls-engine']}` : ''}\`: ` +
      `imaptest stress (\`clients=${clients} secs=${secs} users=${users}\`, mbox \`${mbox}\`, seeds 1..${rounds}) against Mailstead (SQLite${workers > 1 ? `, ${workers} worker processes` : ''}, ` +
      `${cheap ? 'scrypt N=2^10' : 'scrypt N=2^15'} hashes, ${a['no-login-cache'] ? 'verified-login cache off: scrypt at every LOGIN' : 'verified-login cache on (default)'}) and Dovecot (maildir, passwd-file, ${cheap ? '{PLAIN}' : 'ARGON2ID'}, ${reuse ? `imap processes reused, process_min_avail=${reuse}` : 'one imap process per session (default)'}), both IMAPS on loopback; ` +
      `${rounds} alternating rounds of ${secs} s each per server. imaptest binary: \`${bin}\` (private build, not in the repository).`,
    '',
    '| command | Mailstead /s | Dovecot /s | ratio | ms per command, Mailstead / Dovecot |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    `| **all** | **${fmt(total('mailstead'))}** | **${fmt(total('dovecot'))}** | **${fmt(total('mailstead') / total('dovecot'), 2)}** | |`,
    '',
    `imaptest errors: Mailstead ${errors.mailstead.length}, Dovecot ${errors.dovecot.length}` +
      (errors.mailstead.length ? ` (first: \`${errors.mailstead[0].slice(0, 160)}\`)` : '') +
      (profDir ? `. CPU profile of the Mailstead server: ${profDir}` : ''),
  ];
  console.log(lines.join('\n'));
  if (a.record) appendResults('IMAP: imaptest stress, Mailstead vs Dovecot', lines);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  snapshotBuild();
  run(process.argv.slice(2))
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref());
}
