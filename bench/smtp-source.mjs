// Delivery throughput into local mailboxes as the SMTP issue's Benchmark section asks: Postfix's
// own load generator `smtp-source` (Debian package postfix), N parallel sessions, M messages of
// ~L bytes, one recipient, against the Mailstead MX (SQLite, 250 only after the copy is fsynced)
// and, in the same run, against Dovecot's LMTP delivery (maildir, mail_fsync=optimized) and
// Postfix as MX (its 250 means queued; it hands mail to the same Dovecot over LMTP).
// Runs alternate between the servers so the load others put on the shared machine falls on each.
//
//   npm run bench -- smtp-source [--sessions 20] [--messages 5000] [--length 20000] [--rounds 2]
//                                [--strace] [--servers ms,dc,pf] [--cpu-prof DIR] [--no-results]
//                                [--baseline DIR] [--workers N]
//
// --strace: one extra run per server under `strace -f -c -e trace=fsync,fdatasync` attached to the
// server (Mailstead's process; Dovecot's master, which follows its lmtp children) for fsyncs/msg.
// --baseline DIR: also a second Mailstead from another built checkout (DIR/bin/mailstead, e.g. a
// `git worktree` of an older commit after `npx tsc -b`), in the same alternation: before/after.
// --workers N: Mailstead runs N worker processes (config `workers`; Dovecot runs one lmtp process
// per session). Default 1.
// --cpu-prof DIR: Mailstead runs with `node --cpu-prof --cpu-prof-dir DIR` (written at shutdown).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendResults, fmt, mailstead, parseArgs, setupUsers, sleep } from './lib.mjs';
import { haveReference, startDovecot, startPostfix } from './reference.mjs';

const SMTP_SOURCE = '/usr/sbin/smtp-source';
const RCPT = 'user1@example.test';

/** One smtp-source run; resolves with its wall time. Any non-2xx reply makes smtp-source fail. */
function source(port, { sessions, messages, length, lmtp = false }) {
  const args = ['-s', String(sessions), '-m', String(messages), '-l', String(length), '-d'];
  if (lmtp) args.push('-L');
  args.push('-f', 'load@remote.test', '-t', RCPT, '-M', 'client.remote.test', `127.0.0.1:${port}`);
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(SMTP_SOURCE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.once('error', reject);
    p.once('exit', (code) => {
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) reject(new Error(`smtp-source ${args.join(' ')} exited ${code}: ${out.slice(0, 2000)}`));
      else resolve({ secs, rate: messages / secs });
    });
  });
}

function countMaildir(root) {
  let n = 0;
  const d = join(root, 'example.test');
  if (!existsSync(d)) return 0;
  for (const u of readdirSync(d))
    for (const sub of ['new', 'cur']) {
      const p = join(d, u, sub);
      if (existsSync(p)) n += readdirSync(p).length;
    }
  return n;
}

/** `pid` and its descendants (Dovecot's lmtp processes are children of its master). */
function withDescendants(pid) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const [c, p] of parent) if (p === out[i]) out.push(c);
  return out;
}

/**
 * CPU seconds (user + system) used so far by `pid`'s process tree, including children it has reaped:
 * Dovecot's master reaps its lmtp processes, so their time moves into its cutime/cstime. The
 * difference across a run is what the server spent on it, whatever else loads the machine.
 */
function treeCpuSeconds(pid) {
  let ticks = 0;
  for (const p of withDescendants(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14-17 of proc(5) (utime stime cutime cstime), counted from field 3 (state) here.
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited meanwhile: its time is in its parent's cutime once reaped
    }
  }
  return ticks / 100;
}

/** Counts fsync + fdatasync calls of `pid` (all threads, and children) while `work` runs. */
async function countFsyncs(pid, work) {
  const pids = withDescendants(pid).flatMap((p) => ['-p', String(p)]);
  const st = spawn('strace', ['-f', '-c', '-e', 'trace=fsync,fdatasync', ...pids], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  st.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => st.once('exit', r));
  await sleep(1000); // let strace attach to every thread
  await work();
  st.kill('SIGINT');
  await exited;
  let total = 0;
  const calls = {};
  for (const m of err.matchAll(/^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(fsync|fdatasync)\s*$/gm)) {
    calls[m[2]] = Number(m[1]);
    total += Number(m[1]);
  }
  return { total, calls };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(argv) {
  const a = parseArgs(argv);
  const o = {
    sessions: Number(a.sessions ?? 20),
    messages: Number(a.messages ?? 5000),
    length: Number(a.length ?? 20000),
    rounds: Number(a.rounds ?? 2),
  };
  if (!haveReference() || !existsSync(SMTP_SOURCE))
    throw new Error('Postfix/Dovecot missing: apt-get install -y postfix dovecot-imapd dovecot-lmtpd');
  const workers = Number(a.workers ?? 1);
  const ms = await mailstead({
    services: ['smtp'],
    workers,
    ...(a['cpu-prof'] ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', String(a['cpu-prof'])] } : {}),
  });
  await ms.start();
  await setupUsers(ms, 1);
  const baseDir = a.baseline ? String(a.baseline) : undefined;
  const base = baseDir ? await mailstead({ services: ['smtp'], bin: join(baseDir, 'bin', 'mailstead') }) : undefined;
  if (base) {
    await base.start();
    await setupUsers(base, 1);
  }
  const baseRev = baseDir
    ? spawnSync('git', ['-C', baseDir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim()
    : '';
  const dc = await startDovecot({ users: ['user1'] });
  const wanted = String(a.servers ?? 'ms,dc,pf').split(',');
  const pf =
    !wanted.includes('pf')
      ? undefined
      : await startPostfix({ users: ['user1'], lmtpPort: dc.ports.lmtp });
  const servers = [
    { name: `Mailstead MX (SQLite${workers > 1 ? `, ${workers} workers` : ''})`, key: 'ms', port: ms.ports.smtp, lmtp: false, pid: ms.proc.pid },
    ...(base
      ? [{ name: `Mailstead MX (SQLite), baseline ${baseRev}`, key: 'base', port: base.ports.smtp, lmtp: false, pid: base.proc.pid }]
      : []),
    {
      name: 'Dovecot LMTP',
      key: 'dc',
      port: dc.ports.lmtp,
      lmtp: true,
      pid: Number(readFileSync(join(dc.dir, 'run', 'master.pid'), 'utf8').trim()),
    },
    ...(pf ? [{ name: 'Postfix MX (250 = queued)', key: 'pf', port: pf.ports.smtp, lmtp: false }] : []),
  ].filter((s) => s.key === 'ms' || s.key === 'base' || wanted.includes(s.key));
  const rates = Object.fromEntries(servers.map((s) => [s.key, []]));
  const cpuPerMsg = Object.fromEntries(servers.map((s) => [s.key, []]));
  try {
    const warm = { ...o, messages: Math.min(500, o.messages) };
    for (const s of servers) await source(s.port, { ...warm, lmtp: s.lmtp });
    console.log(`smtp-source: ${o.sessions} sessions, ${o.messages} messages of ${o.length} bytes, ${o.rounds} rounds`);
    for (let r = 0; r < o.rounds; r++)
      for (const s of servers) {
        const cpu0 = s.pid ? treeCpuSeconds(s.pid) : NaN;
        const one = await source(s.port, { ...o, lmtp: s.lmtp });
        const cpuMs = s.pid ? ((treeCpuSeconds(s.pid) - cpu0) * 1000) / o.messages : NaN;
        rates[s.key].push(one.rate);
        cpuPerMsg[s.key].push(cpuMs);
        console.log(
          `  round ${r + 1} ${s.name}: ${fmt(one.rate)} msg/s (${fmt(one.secs, 2)} s)` +
            (s.pid ? `, server CPU ${fmt(cpuMs, 3)} ms/msg` : ''),
        );
      }
    // Postfix only queued: wait until Dovecot stored what it handed over, so the next runs are clean.
    if (pf) {
      const want = (o.rounds * o.messages + Math.min(500, o.messages)) * 2;
      const deadline = Date.now() + 120_000;
      while (countMaildir(dc.mailDir) < want && Date.now() < deadline) await sleep(200);
    }
    const fsyncs = {};
    if (a.strace) {
      const n = Math.min(2000, o.messages);
      const msF = await countFsyncs(ms.proc.pid, () => source(ms.ports.smtp, { ...o, messages: n }));
      fsyncs.ms = { perMsg: msF.total / n, ...msF };
      console.log(`fsyncs per message: Mailstead ${fmt(fsyncs.ms.perMsg, 2)} ${JSON.stringify(msF.calls)}`);
      if (base) {
        const bF = await countFsyncs(base.proc.pid, () => source(base.ports.smtp, { ...o, messages: n }));
        fsyncs.base = { perMsg: bF.total / n, ...bF };
        console.log(`fsyncs per message: baseline ${fmt(fsyncs.base.perMsg, 2)} ${JSON.stringify(bF.calls)}`);
      }
    }
    if (a.strace && wanted.includes('dc')) {
      const n = Math.min(2000, o.messages);
      const dcPid = Number(readFileSync(join(dc.dir, 'run', 'master.pid'), 'utf8').trim());
      const dcF = await countFsyncs(dcPid, () => source(dc.ports.lmtp, { ...o, messages: n, lmtp: true }));
      fsyncs.dc = { perMsg: dcF.total / n, ...dcF };
      console.log(`fsyncs per message: Dovecot LMTP ${fmt(fsyncs.dc.perMsg, 2)} ${JSON.stringify(dcF.calls)}`);
    }
    const med = Object.fromEntries(servers.map((s) => [s.key, median(rates[s.key])]));
    const cpu = Object.fromEntries(servers.map((s) => [s.key, median(cpuPerMsg[s.key])]));
    const rows = servers.map(
      (s) =>
        `| ${s.name} | ${fmt(med[s.key])} | ${rates[s.key].map((x) => fmt(x)).join(' / ')} | ${fmt(med.ms / med[s.key], 2)} | ${Number.isFinite(cpu[s.key]) ? fmt(cpu[s.key], 3) : ''} | ${Number.isFinite(cpu[s.key]) ? fmt(cpu[s.key] / cpu.ms, 2) : ''} | ${fsyncs[s.key] ? fmt(fsyncs[s.key].perMsg, 2) : ''} |`,
    );
    for (const s of servers)
      console.log(
        `${s.name}: ${fmt(med[s.key])} msg/s (median), ratio Mailstead/this ${fmt(med.ms / med[s.key], 2)}` +
          (Number.isFinite(cpu[s.key]) ? `; CPU ${fmt(cpu[s.key], 3)} ms/msg, CPU ratio this/Mailstead ${fmt(cpu[s.key] / cpu.ms, 2)}` : ''),
      );
    if (!a['no-results'])
      appendResults('smtp-source', [
      `\`npm run bench -- smtp-source --sessions ${o.sessions} --messages ${o.messages} --length ${o.length} --rounds ${o.rounds}${a.strace ? ' --strace' : ''}${workers > 1 ? ` --workers ${workers}` : ''}\`: ` +
        `\`smtp-source -s ${o.sessions} -m ${o.messages} -l ${o.length} -d\` (HELO, one recipient, one session reused for its messages), runs alternating between servers. ` +
        `Mailstead: MX on SQLite (WAL; every commit fsynced before it is reported) with SPF/DKIM/DMARC checks (local .test DNS), 250 after the copy and its rows are fsynced. ` +
        (base ? `Baseline: the same server built at commit ${baseRev}, in the same alternation. ` : '') +

        `Dovecot: LMTP straight into maildir (mail_fsync=optimized). Postfix: 250 once queued (its own fsync), handing over to the same Dovecot.`,
      '',
      '| server | msg/s (median) | each run | ratio Mailstead / this | server CPU ms per message (median) | CPU ratio this / Mailstead | fsyncs per message |',
      '|---|---|---|---|---|---|---|',
      ...rows,
    ]);
    return { med, fsyncs };
  } finally {
    await ms.cleanup();
    await base?.cleanup();
    await pf?.stop();
    await dc.stop();
  }
}
