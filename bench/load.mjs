// Load: N concurrent IMAPS sessions in IDLE (spread over U users) plus a steady SMTP (MX) load for M
// minutes. Every session does TLS + LOGIN + SELECT INBOX + IDLE and stays idling; messages arrive at
// a fixed rate (open loop) to random users, never two in flight to the same user, so the k-th new
// message a session sees is the user's k-th delivery. Recorded:
//  - delivery-to-IDLE latency: from the SMTP 250 (end of DATA) to the `* n EXISTS` in each of that
//    user's sessions (one sample per session per message), also from the final "." sent;
//  - the server's RSS (VmRSS of the `mailstead serve` process) and CPU every 10 s;
//  - errors: dropped sessions, anything but 250, EXISTS missing (or extra) on any session, IDLE not
//    ending with OK at the end.
//
//   npm run bench -- load [--sessions 1000] [--users 100] [--minutes 10] [--rate 10] [--store sqlite|postgres]
//                         [--size 4000] [--open-concurrency 16] [--trace-gc] [--no-results]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { appendResults, BIN, dropSchema, fmt, ImapClient, makeMessage, mailstead, parseArgs, percentiles, sleep, SmtpClient } from './lib.mjs';

const now = () => performance.now();

/** `mailstead admin ...` without blocking the event loop (the CLI takes a second or more to start). */
let adminRetries = 0;
async function adminAsync(srv, args) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await adminOnce(srv, args);
    } catch (e) {
      if (attempt >= 3) throw e;
      adminRetries++;
      console.log(`retrying (${attempt}): ${e.message.split('\n')[0]}`);
      await sleep(1000);
    }
  }
}

function adminOnce(srv, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'admin', ...args, '--config', srv.config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`admin ${args.join(' ')}: ${out}`))));
  });
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

function procStats(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
    const rssKb = kb('VmRSS');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
    return { rssMb: rssKb / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024, cpuS: ticks / 100 };
  } catch {
    return undefined;
  }
}

/** Size of a SQLite database with its WAL, MB (NaN for PostgreSQL). */
function sqliteSizeMb(dataDir) {
  let bytes = 0;
  for (const f of ['mailstead.db', 'mailstead.db-wal']) {
    try {
      bytes += statSync(join(dataDir, f)).size;
    } catch {
      return NaN;
    }
  }
  return bytes / 2 ** 20;
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : NaN;
}

export async function run(argv) {
  const a = parseArgs(argv);
  const store = a.store === 'postgres' || a.store === 'pg' ? 'postgres' : 'sqlite';
  const nSessions = Number(a.sessions ?? 1000);
  const nUsers = Number(a.users ?? Math.max(1, Math.ceil(nSessions / 10)));
  const minutes = Number(a.minutes ?? 10);
  const rate = Number(a.rate ?? 10);
  const size = Number(a.size ?? 4000);
  const openConc = Number(a['open-concurrency'] ?? 16);
  const sampleMs = Number(a['sample-seconds'] ?? 10) * 1000;
  const perUser = Math.ceil(nSessions / nUsers);
  const users = Array.from({ length: nUsers }, (_, i) => `user${i + 1}`);
  const cmdline = `npm run bench -- load --sessions ${nSessions} --users ${nUsers} --minutes ${minutes} --rate ${rate} --store ${store} --size ${size}`;

  const nSnapshots = Number(a['heap-snapshots'] ?? 0);
  const heapDir = nSnapshots ? mkdtempSync(join(tmpdir(), 'ms-heap-')) : '';
  const srv = await mailstead({
    store,
    services: ['smtp', 'imaps'],
    connectionsPerIp: nSessions + 500,
    connectionsPerUser: perUser + 10,
    // --trace-gc: V8 prints every collection to the server log; the heap left after each full
    // (mark-compact) collection tells a leak (it climbs) from garbage not yet collected (it does not).
    // --heap-snapshots N: V8 heap snapshots (SIGUSR2) at N evenly spaced moments of the load, written
    // to the server directory; `node bench/heap-diff.mjs A B` compares two of them by constructor.
    nodeArgs: [
      ...(a['trace-gc'] ? ['--trace-gc'] : []),
      ...(a['heap-snapshots'] ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`] : []),
    ],
  });
  console.log(`load on ${store}: ${nSessions} IMAPS sessions in IDLE over ${nUsers} users, SMTP ${rate} msg/s for ${minutes} min; dir ${srv.dir}`);
  const t00 = now();
  await srv.start();
  try {
    await body();
  } catch (e) {
    await srv.stop();
    if (store === 'postgres') await dropSchema(srv.schema);
    console.log(`server directory kept: ${srv.dir}`);
    throw e;
  }
  async function body() {
    const pid = srv.proc.pid;
    let serverDied = false;
    let stopping = false;
    srv.proc.exited.then((e) => {
      if (!stopping) {
        serverDied = true;
        console.error(`\nserver exited during the run: ${JSON.stringify(e)}`);
      }
    });

    const errors = { dropped: 0, bye: 0, unexpected: 0, smtpNon250: 0, smtpIo: 0, missing: 0, extra: 0, idleEnd: 0, open: 0 };
    const errorSamples = [];
    const noteError = (kind, detail) => {
      errors[kind]++;
      if (errorSamples.length < 20) errorSamples.push(`${kind} at ${((now() - t00) / 1000).toFixed(0)} s: ${detail}`);
    };

    // RSS / CPU sampling, from the server's start.
    const samples = []; // { t (s since steady start, may be negative), phase, rssMb, cpuPct }
    let phase = 'setup';
    let tSteady = NaN;
    let lastCpu = procStats(pid);
    let lastT = now();
    // SQLite's page cache (better-sqlite3 builds it with cache_size -16000: up to 16 MB) fills as the
    // database grows: RssAnon rising with the database up to that size is the cache, not a leak.
    const dbSizeMb = () => (store === 'sqlite' ? sqliteSizeMb(srv.dataDir) : NaN);
    const sample = () => {
      const st = procStats(pid);
      const t = now();
      if (!st) return;
      const cpuPct = lastCpu ? ((st.cpuS - lastCpu.cpuS) / ((t - lastT) / 1000)) * 100 : NaN;
      lastCpu = st;
      lastT = t;
      samples.push({ at: t, phase, rssMb: st.rssMb, anonMb: st.anonMb, fileMb: st.fileMb, cpuPct, dbMb: dbSizeMb() });
      return samples[samples.length - 1];
    };
    sample();
    const sampler = setInterval(sample, sampleMs);

    const elDelay = monitorEventLoopDelay({ resolution: 10 });

    // Users: the CLI, a few at a time.
    const tUsers = now();
    await adminAsync(srv, ['domain', 'add', 'example.test']);
    await pool(users, 4, (u) => adminAsync(srv, ['address', 'add', `${u}@example.test`, '--password', 'pass']));
    console.log(`${nUsers} users created in ${((now() - tUsers) / 1000).toFixed(1)} s (CLI retries: ${adminRetries})`);
    phase = 'users';
    const rssBeforeSessions = sample();

    // Sessions.
    const sessions = []; // { user, c, base, count, seen: [] }
    const byUser = new Map(users.map((u) => [u, []]));
    let closing = false;
    const tOpen = now();
    const openTimes = [];
    phase = 'opening';
    await pool(
      Array.from({ length: nSessions }, (_, i) => users[i % nUsers]),
      openConc,
      async (u) => {
        const t0 = now();
        let c;
        try {
          c = await ImapClient.connect(srv.ports.imaps, { timeoutMs: 120_000 });
          await c.login(`${u}@example.test`, 'pass');
          const sel = await c.cmd('SELECT INBOX');
          if (sel.status !== 'OK') throw new Error(`SELECT: ${sel.text}`);
          const ex = sel.untagged.map((r) => /^\* (\d+) EXISTS/.exec(r.text)).find(Boolean);
          const base = ex ? Number(ex[1]) : 0;
          c.ls.write('I1 IDLE\r\n');
          const cont = await c.readResponse();
          if (!cont.text.startsWith('+')) throw new Error(`IDLE: ${cont.text}`);
          c.timeoutMs = 24 * 3600_000;
          const s = { user: u, c, base, count: base, seen: [], ended: undefined };
          sessions.push(s);
          byUser.get(u).push(s);
          openTimes.push(now() - t0);
          c.ls.sock.once('close', () => {
            if (!closing) noteError('dropped', `${u} session closed by the server`);
          });
          void idleLoop(s);
        } catch (e) {
          noteError('open', `${u}: ${e.message}`);
          c?.destroy();
        }
        const n = openTimes.length;
        if (n % 100 === 0) process.stdout.write(`sessions open: ${n}/${nSessions}\r`);
      },
    );
    const openSecs = (now() - tOpen) / 1000;
    console.log(`${sessions.length}/${nSessions} sessions in IDLE after ${openSecs.toFixed(1)} s`);
    await sleep(2000);
    const rssAfterSessions = sample();

    // Deliveries per user; index i = the user's i-th new message since SELECT.
    const deliveries = new Map(users.map((u) => [u, []])); // { tDot, t250 }
    const tainted = new Set(); // users whose sequence is unknown after an I/O error
    const lat250 = []; // per session per message, ms
    const latDot = [];
    const latAll = []; // per message: until every session of the user saw it (from 250)
    const latSeries = []; // { at, ms } for the per-minute table
    let existsBefore250 = 0;
    const record = (s, i) => {
      const d = deliveries.get(s.user)[i];
      if (!d || d.t250 === undefined || tainted.has(s.user)) return;
      const ms = s.seen[i] - d.t250;
      if (ms < 0) existsBefore250++;
      lat250.push(ms);
      latDot.push(s.seen[i] - d.tDot);
      latSeries.push({ at: s.seen[i], ms });
      d.seenBy++;
      if (d.seenBy === byUser.get(s.user).length) latAll.push(Math.max(...byUser.get(s.user).map((x) => x.seen[i])) - d.t250);
    };

    async function idleLoop(s) {
      for (;;) {
        let r;
        try {
          r = await s.c.readResponse();
        } catch {
          return;
        }
        const t = now();
        let m;
        if ((m = /^\* (\d+) EXISTS/.exec(r.text))) {
          const n = Number(m[1]);
          for (let k = s.count + 1; k <= n; k++) {
            const i = k - s.base - 1;
            s.seen[i] = t;
            const ds = deliveries.get(s.user);
            if (i >= ds.length && !tainted.has(s.user)) noteError('extra', `${s.user}: EXISTS ${k} with ${ds.length} deliveries`);
            else record(s, i);
          }
          if (n > s.count) s.count = n;
        } else if (r.text.startsWith('I1 ')) {
          s.ended = r.text;
          if (!closing) noteError('unexpected', `${s.user}: ${r.text}`);
          if (s.onEnd) s.onEnd(r.text);
        } else if (r.text.startsWith('* BYE')) {
          if (!closing) noteError('bye', `${s.user}: ${r.text}`);
        } else if (/^\* (OK|\d+ (RECENT|FETCH|EXPUNGE))/i.test(r.text)) {
          // keepalive or flag updates
        } else if (!closing) noteError('unexpected', `${s.user}: ${r.text.slice(0, 120)}`);
      }
    }

    // Steady SMTP load (open loop).
    const busy = new Set();
    const smtpTimes = [];
    let sent = 0;
    let skipped = 0;
    let accepted = 0;
    const inflight = new Set();
    async function deliver(u) {
      busy.add(u);
      const ds = deliveries.get(u);
      const i = ds.length;
      const d = { tDot: NaN, t250: undefined, seenBy: 0 };
      ds.push(d);
      const t0 = now();
      let c;
      try {
        c = await SmtpClient.connect(srv.ports.smtp, { timeoutMs: 60_000 });
        await c.ehlo();
        const m = makeMessage({ to: `${u}@example.test`, size, tag: 'load' });
        let r = await c.cmd('MAIL FROM:<load@remote.test>');
        if (r.code === 250) r = await c.cmd(`RCPT TO:<${u}@example.test>`);
        if (r.code === 250) r = await c.cmd('DATA');
        if (r.code === 354) {
          const stuffed = m.raw.replace(/^\./gm, '..');
          d.tDot = now();
          c.ls.write(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
          r = await c.reply();
        }
        if (r.code === 250) {
          d.t250 = now();
          accepted++;
          smtpTimes.push(d.t250 - t0);
          for (const s of byUser.get(u)) if (s.seen[i] !== undefined) record(s, i);
        } else {
          noteError('smtpNon250', `${u}: ${r.text.slice(0, 120)}`);
          ds.pop(); // not stored; nothing else is in flight for this user
        }
        await c.quit();
      } catch (e) {
        noteError('smtpIo', `${u}: ${e.message}`);
        tainted.add(u); // stored or not: unknown
        c?.destroy();
      } finally {
        busy.delete(u);
      }
    }

    phase = 'steady';
    tSteady = now();
    elDelay.enable();
    const interval = 1000 / rate;
    const durationMs = minutes * 60_000;
    let k = 0;
    let lastProgress = now();
    // Snapshot i at (i / (N - 1)) of the load, the first right at its start.
    const snapAt = Array.from({ length: nSnapshots }, (_, i) => (nSnapshots === 1 ? 0 : (i * durationMs) / (nSnapshots - 1) - (i === nSnapshots - 1 ? 5000 : 0)));
    while (now() - tSteady < durationMs && !serverDied) {
      const due = tSteady + k * interval;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      k++;
      if (snapAt.length && now() - tSteady >= snapAt[0]) {
        snapAt.shift();
        process.kill(pid, 'SIGUSR2');
        console.log(`\nheap snapshot requested at ${((now() - tSteady) / 1000).toFixed(0)} s of load (${heapDir})`);
      }
      if (now() - lastProgress > 10_000) {
        lastProgress = now();
        const last = samples[samples.length - 1];
        const recent = percentiles(latSeries.filter((x) => x.at > now() - 10_000).map((x) => x.ms));
        process.stdout.write(
          `${((now() - tSteady) / 1000).toFixed(0)} s: ${accepted}/${sent} accepted, in flight ${inflight.size}, ` +
            `last 10 s p50 ${fmt(recent.p50)} p99 ${fmt(recent.p99)} ms, RSS ${fmt(last?.rssMb)} MB (anon ${fmt(last?.anonMb)}, db ${fmt(last?.dbMb)}), CPU ${fmt(last?.cpuPct, 0)}%, ` +
            `errors ${Object.values(errors).reduce((x, y) => x + y, 0)}   \r`,
        );
      }
      const free = users.filter((u) => !busy.has(u) && !tainted.has(u));
      if (free.length === 0 || inflight.size >= 200) {
        skipped++; // the load generator's limit, not a server error
        continue;
      }
      const u = free[Math.floor(Math.random() * free.length)];
      sent++;
      const p = deliver(u);
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }
    const steadySecs = (now() - tSteady) / 1000;
    phase = 'drain';
    await Promise.all([...inflight]);
    elDelay.disable();
    // Grace for the last notifications.
    const graceEnd = now() + 15_000;
    const allSeen = () =>
      users.every((u) => tainted.has(u) || byUser.get(u).every((s) => deliveries.get(u).every((_, i) => s.seen[i] !== undefined)));
    while (now() < graceEnd && !allSeen()) await sleep(100);
    sample();
    clearInterval(sampler);
    console.log('');

    for (const u of users) {
      if (tainted.has(u)) continue;
      const ds = deliveries.get(u);
      for (const s of byUser.get(u)) {
        for (let i = 0; i < ds.length; i++) if (s.seen[i] === undefined) noteError('missing', `${u} message ${i + 1} not seen by a session`);
      }
    }

    // End: DONE on every session (each IDLE must end with OK), then LOGOUT.
    closing = true;
    await pool(sessions, 64, async (s) => {
      if (s.ended) return;
      const ok = await new Promise((resolve) => {
        const t = setTimeout(() => resolve('timeout'), 30_000);
        s.onEnd = (text) => {
          clearTimeout(t);
          resolve(text);
        };
        if (s.c.ls.closed) resolve('closed');
        else s.c.ls.write('DONE\r\n');
      });
      if (!/^I1 OK/.test(ok)) noteError('idleEnd', `${s.user}: ${ok}`);
    });
    for (const s of sessions) s.c.destroy();
    stopping = true;
    const log = srv.log();
    await srv.stop();
    if (store === 'postgres') await dropSchema(srv.schema);

    // Figures.
    const L = percentiles(lat250);
    const D = percentiles(latDot);
    const A = percentiles(latAll);
    const S = percentiles(smtpTimes);
    const O = percentiles(openTimes);
    const steady = samples.filter((x) => x.phase === 'steady' || x.phase === 'drain');
    const xs = steady.map((x) => (x.at - tSteady) / 60_000);
    const ys = steady.map((x) => x.rssMb);
    const half = steady.filter((x) => x.at - tSteady >= durationMs / 2);
    const rssSlope = slope(xs, ys);
    const rssSlope2 = slope(
      half.map((x) => (x.at - tSteady) / 60_000),
      half.map((x) => x.rssMb),
    );
    const cpu = steady.map((x) => x.cpuPct).filter(Number.isFinite);
    const cpuAvg = cpu.reduce((p, q) => p + q, 0) / Math.max(1, cpu.length);
    const totalErrors = Object.values(errors).reduce((x, y) => x + y, 0);
    // `[pid:0x..]   61234 ms: Mark-Compact 52.1 (60.3) -> 40.2 (61.0) MB, ...` (heap used before -> after)
    const fullGcs = [...log.matchAll(/\s(\d+) ms: Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/g)].map((m) => ({
      ms: Number(m[1]),
      afterMb: Number(m[2]),
    }));
    const logErrors = log.split('\n').filter((l) => /"level":(50|60)|\b(ERROR|FATAL)\b/.test(l));
    const logWarns = log.split('\n').filter((l) => /"level":40|\bWARN\b/.test(l));
    const perMinute = [];
    for (let m = 0; m < Math.ceil(steadySecs / 60); m++) {
      const from = tSteady + m * 60_000;
      const p = percentiles(latSeries.filter((x) => x.at >= from && x.at < from + 60_000).map((x) => x.ms));
      const r = steady.filter((x) => x.at >= from && x.at < from + 60_000).map((x) => x.rssMb);
      const c = steady.filter((x) => x.at >= from && x.at < from + 60_000).map((x) => x.cpuPct).filter(Number.isFinite);
      const lastIn = steady.filter((x) => x.at >= from && x.at < from + 60_000).at(-1);
      perMinute.push(
        `| ${m * 60_000 >= durationMs ? 'drain' : m + 1} | ${p.n} | ${fmt(p.p50)} / ${fmt(p.p90)} / ${fmt(p.p99)} / ${fmt(p.max)} | ${fmt(r.length ? Math.max(...r) : NaN)} | ${fmt(lastIn?.anonMb)} / ${fmt(lastIn?.fileMb)} | ${fmt(lastIn?.dbMb)} | ${fmt(c.length ? c.reduce((x, y) => x + y, 0) / c.length : NaN, 0)} |`,
      );
    }
    const rssFirst = steady[0]?.rssMb;
    const rssLast = steady[steady.length - 1]?.rssMb;
    const rssMax = Math.max(...steady.map((x) => x.rssMb));
    const rssMin = Math.min(...steady.map((x) => x.rssMb));
    const el = { p99: elDelay.percentile(99) / 1e6, max: elDelay.max / 1e6 };

    console.log(`sessions in IDLE: ${sessions.length}/${nSessions} (open p50 ${fmt(O.p50)} p99 ${fmt(O.p99)} ms, all in ${fmt(openSecs)} s)`);
    console.log(`SMTP: ${accepted}/${sent} accepted in ${fmt(steadySecs, 0)} s (${fmt(accepted / steadySecs, 2)} msg/s; ${skipped} ticks skipped with every user busy); transaction p50 ${fmt(S.p50)} p99 ${fmt(S.p99)} ms`);
    console.log(`delivery (250) -> IDLE EXISTS, per session: n ${L.n} p50 ${fmt(L.p50)} p90 ${fmt(L.p90)} p99 ${fmt(L.p99)} max ${fmt(L.max)} ms (EXISTS before the 250 reached the client: ${existsBefore250})`);
    console.log(`end of DATA (".") -> IDLE EXISTS, per session: p50 ${fmt(D.p50)} p90 ${fmt(D.p90)} p99 ${fmt(D.p99)} max ${fmt(D.max)} ms`);
    console.log(`250 -> all ${perUser} sessions of the user notified, per message: n ${A.n} p50 ${fmt(A.p50)} p99 ${fmt(A.p99)} max ${fmt(A.max)} ms`);
    console.log(
      `server RSS (MB): before sessions ${fmt(rssBeforeSessions?.rssMb)}, with ${sessions.length} sessions ${fmt(rssAfterSessions?.rssMb)}; steady first ${fmt(rssFirst)} last ${fmt(rssLast)} min ${fmt(rssMin)} max ${fmt(rssMax)}; slope ${fmt(rssSlope, 2)} MB/min (second half ${fmt(rssSlope2, 2)} MB/min); anon ${fmt(steady[0]?.anonMb)} -> ${fmt(steady.at(-1)?.anonMb)}, file ${fmt(steady[0]?.fileMb)} -> ${fmt(steady.at(-1)?.fileMb)}; CPU avg ${fmt(cpuAvg, 0)}%`,
    );
    if (a['trace-gc'])
      console.log(
        `V8 heap after full GCs (${fullGcs.length}): ${fullGcs.map((g) => `${(g.ms / 1000).toFixed(0)} s ${fmt(g.afterMb)}`).join(', ')} MB`,
      );
    if (nSnapshots) console.log(`heap snapshots: ${readdirSync(heapDir).map((f) => join(heapDir, f)).join(' ')}`);
    console.log('per minute: minute | EXISTS samples | p50 / p90 / p99 / max ms | RSS max MB | RssAnon / RssFile MB | db MB | CPU %');
    for (const l of perMinute) console.log(l);
    console.log(`client event-loop delay p99 ${fmt(el.p99)} ms, max ${fmt(el.max)} ms`);
    console.log(`errors: ${totalErrors} ${JSON.stringify(errors)}; server log: ${logErrors.length} error lines, ${logWarns.length} warnings`);
    for (const e of errorSamples) console.log(`  ${e}`);
    for (const l of logErrors.slice(0, 5)) console.log(`  log: ${l.slice(0, 300)}`);

    if (!a['no-results']) appendResults(`load (${store})`, [
      `\`${cmdline}\`: ${nSessions} IMAPS sessions (${perUser} per user, ${nUsers} users; TLS + LOGIN + SELECT INBOX + IDLE, opened ${openConc} at a time, all from one Node process with raw TLS sockets) idling for the whole run, ` +
        `while SMTP (MX port, one connection per message, ${size}-byte messages) delivers ${rate} msg/s open-loop to random users (never two in flight to the same user) for ${minutes} min. ` +
        `Latency: from the SMTP 250 after the final "." (as the client sees it) to the \`* n EXISTS\` in each of the user's IDLE sessions; RSS: VmRSS of the \`mailstead serve\` process every ${sampleMs / 1000} s. ` +
        `Mailstead ${store === 'postgres' ? 'on PostgreSQL (127.0.0.1)' : 'on SQLite'}, in-process change events. No reference server in this run.`,
      '',
      '| figure | value |',
      '|---|---|',
      `| sessions in IDLE at the start / at the end | ${sessions.length} / ${sessions.length - errors.dropped} of ${nSessions} (opened in ${fmt(openSecs)} s; per session p50 ${fmt(O.p50)} ms, p99 ${fmt(O.p99)} ms) |`,
      `| SMTP messages accepted / sent | ${accepted} / ${sent} in ${fmt(steadySecs, 0)} s (${fmt(accepted / steadySecs, 2)} msg/s; ${skipped} ticks skipped with every user busy); transaction (connect to 250) p50 ${fmt(S.p50)} / p99 ${fmt(S.p99)} ms |`,
      `| **250 → \`* n EXISTS\`, per session (${L.n} samples) p50 / p90 / p99 / max** | **${fmt(L.p50)} / ${fmt(L.p90)} / ${fmt(L.p99)} / ${fmt(L.max)} ms** |`,
      `| end of DATA (".") → EXISTS, per session p50 / p90 / p99 / max | ${fmt(D.p50)} / ${fmt(D.p90)} / ${fmt(D.p99)} / ${fmt(D.max)} ms |`,
      `| 250 → all ${perUser} sessions of the user notified, per message (${A.n}) p50 / p99 / max | ${fmt(A.p50)} / ${fmt(A.p99)} / ${fmt(A.max)} ms |`,
      `| EXISTS that reached the client before the 250 did | ${existsBefore250} (counted as negative latencies) |`,
      `| server RSS before the sessions / with ${sessions.length} sessions in IDLE | ${fmt(rssBeforeSessions?.rssMb)} / ${fmt(rssAfterSessions?.rssMb)} MB |`,
      `| **server RSS during the load: first / last / min / max** | **${fmt(rssFirst)} / ${fmt(rssLast)} / ${fmt(rssMin)} / ${fmt(rssMax)} MB** |`,
      `| RSS slope (least squares over the load / over its second half) | ${fmt(rssSlope, 2)} / ${fmt(rssSlope2, 2)} MB/min |`,
      `| of which anonymous (heap) / file-backed (mapped files): first → last | ${fmt(steady[0]?.anonMb)} → ${fmt(steady.at(-1)?.anonMb)} / ${fmt(steady[0]?.fileMb)} → ${fmt(steady.at(-1)?.fileMb)} MB |`,
      ...(store === 'sqlite'
        ? [`| SQLite database + WAL on disk: first → last (its page cache may take up to 16 MB of RssAnon) | ${fmt(steady[0]?.dbMb)} → ${fmt(steady.at(-1)?.dbMb)} MB |`]
        : []),
      `| server CPU during the load (average of ${sampleMs / 1000} s samples, 100% = one core) | ${fmt(cpuAvg, 0)}% |`,
      ...(a['trace-gc']
        ? [
            `| V8 heap used after each full GC (\`--trace-gc\`; seconds since the server started: MB) | ${fullGcs.length ? fullGcs.map((g) => `${(g.ms / 1000).toFixed(0)} s: ${fmt(g.afterMb)}`).join(', ') : 'none'} |`,
          ]
        : []),
      `| client event-loop delay p99 / max (measurement noise) | ${fmt(el.p99)} / ${fmt(el.max)} ms |`,
      `| **errors** | **${totalErrors}**: ${Object.entries(errors)
        .map(([k2, v]) => `${k2} ${v}`)
        .join(', ')} |`,
      `| server log lines at error / warn level | ${logErrors.length} / ${logWarns.length} |`,
      '',
      'Per minute of load:',
      '',
      '| minute | EXISTS samples | latency p50 / p90 / p99 / max (ms) | RSS max (MB) | RssAnon / RssFile at its end (MB) | SQLite db + WAL at its end (MB) | server CPU (%) |',
      '|---|---|---|---|---|---|---|',
      ...perMinute,
      ...(errorSamples.length ? ['', 'First errors:', '', ...errorSamples.map((e) => `- ${e}`)] : []),
      ...(logErrors.length ? ['', 'First server log errors:', '', ...logErrors.slice(0, 5).map((l) => `- \`${l.slice(0, 300).replace(/`/g, "'")}\``)] : []),
    ]);
    if (totalErrors === 0 && !serverDied) await srv.cleanup();
    else {
      console.log(`server directory kept: ${srv.dir}`);
      process.exitCode = 1;
    }
  }
}
