// Memory of idle IMAP sessions (issue 4: 10,000 idle authenticated connections in under 300 MB): the
// server's RSS before any connection, then with N IMAPS sessions logged in (and, with --select, INBOX
// selected) doing nothing. Sessions are spread over --users addresses. The users' scrypt hashes are
// swapped for cheap ones (N=2^10) straight in the SQLite file, so 10,000 LOGINs take seconds and not
// the half hour that the real cost (N=2^15, ~100 ms of CPU each) would; login cost is not what this
// measures.
//
//
// --heap: the server also writes a V8 heap snapshot (SIGUSR2) once the sessions are open; the JS heap
// is summed from it by constructor and set against RSS, so the rest (OpenSSL SSL objects and their
// buffers, libuv handles, malloc overhead) is known as native memory per session.
//
// --plain: the sessions stay on the plain "imap" listener and do not log in (LOGINDISABLED before
// STARTTLS): what a session costs without Node's TLS, as behind a TLS-terminating proxy.
//
// --node-args "a=1 b": extra node flags for the server (each word gets a leading "--"), e.g.
// "max-semi-space-size=16" or "import=/path/probe.mjs"; environment variables (GLIBC_TUNABLES=...) are
// passed on to the server as they are set for this script.
// --hold SECONDS: keep the sessions open that long after the figures (to look at /proc/PID/smaps).
// --tls-engine native|node|auto: the server's `tls.engine` (default: its own default, "auto").
// --nofile N: the server's descriptor limit (via prlimit: lowering it needs no privilege, raising
// it above the hard limit needs CAP_SYS_RESOURCE). The native TLS front holds one descriptor per
// session and takes at most half the limit or all but 1024 of it (the larger).
//
//   node bench/imap-rss.mjs [--connections 10000] [--users 100] [--select] [--plain] [--heap [--keep-snapshot]]
//       [--node-args "..."] [--hold S] [--tls-engine E] [--nofile N] [--record]
import { randomBytes, scryptSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendResults, fmt, ImapClient, mailstead, parseArgs, ROOT, setupUsers, sleep, snapshotBuild } from './lib.mjs';

function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
}

/** Anonymous / file-backed parts of the RSS (kB) from /proc/PID/smaps_rollup. */
function smaps(pid) {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
    return { anon: kb('Anonymous'), file: kb('Rss') - kb('Anonymous') };
  } catch {
    return { anon: NaN, file: NaN };
  }
}

/** Waits for the snapshot the server writes on SIGUSR2 and sums its nodes' self sizes by constructor. */
async function heapSummary(pid, dir, keep) {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  // Written in chunks: a partial file fails to parse, so retry until it parses (or give up).
  let snap = null;
  let file = '';
  for (let i = 0; i < 300 && !snap; i++) {
    await sleep(2000);
    const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot') && !before.has(n));
    if (!f) continue;
    file = join(dir, f);
    try {
      snap = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      /* not complete yet */
    }
  }
  if (!snap) return null;
  if (keep) console.log(`heap snapshot kept: ${file}`);
  else rmSync(file);
  const { node_fields: fields, node_types: [types] } = snap.snapshot.meta;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const nodes = snap.nodes;
  const by = new Map();
  let total = 0;
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + iType]];
    const name = type === 'object' || type === 'native' ? snap.strings[nodes[i + iName]] : `(${type})`;
    const size = nodes[i + iSize];
    total += size;
    const e = by.get(name) ?? { count: 0, size: 0 };
    e.count++;
    e.size += size;
    by.set(name, e);
  }
  const top = [...by.entries()].sort((a, b) => b[1].size - a[1].size).slice(0, 25);
  return { total, top };
}

function cheapHash(password) {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return `scrypt$1024$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function run(argv) {
  const args = parseArgs(argv);
  const total = Number(args.connections ?? 10_000);
  const users = Number(args.users ?? 100);
  const select = Boolean(args.select);
  const heap = Boolean(args.heap);
  const plain = Boolean(args.plain);
  const srv = await mailstead({
    services: plain ? ['imap'] : ['imaps'],
    nodeArgs: [...(heap ? ['--heapsnapshot-signal=SIGUSR2'] : []), ...(args['node-args'] ? String(args['node-args']).split(' ').map((a) => `--${a}`) : [])],
    connectionsPerIp: total + 100,
    connectionsPerUser: total + 100,
    ...(args['tls-engine'] ? { tlsEngine: String(args['tls-engine']) } : {}),
    ...(args.nofile ? { nofile: Number(args.nofile) } : {}),
  });
  await srv.start();
  const clients = [];
  try {
    await setupUsers(srv, users);
    const Database = createRequire(join(ROOT, 'package.json'))('better-sqlite3');
    const db = new Database(join(srv.dataDir, 'mailstead.db'));
    db.prepare('update addresses set password_hash = ?').run(cheapHash('pass'));
    db.close();
    await sleep(2000);
    const base = rssMb(srv.proc.pid);
    const t0 = Date.now();
    let failed = 0;
    for (let i = 0; i < total; i += 200) {
      const batch = Array.from({ length: Math.min(200, total - i) }, async (_, k) => {
        try {
          const c = await ImapClient.connect(plain ? srv.ports.imap : srv.ports.imaps, {
            tls: !plain,
            timeoutMs: 120_000,
          });
          if (plain) {
            clients.push(c);
            return;
          }
          await c.login(`user${((i + k) % users) + 1}@example.test`, 'pass');
          if (select) {
            const r = await c.cmd('SELECT INBOX');
            if (r.status !== 'OK') throw new Error(r.text);
          }
          clients.push(c);
        } catch {
          failed++;
        }
      });
      await Promise.all(batch);
    }
    const openSecs = (Date.now() - t0) / 1000;
    // RSS 10 s after the last login (handshakes' and logins' garbage partly collected), then once
    // the sessions have been idle a minute (V8 and malloc have given back what they will): both are
    // reported, the first is the figure the target is held to.
    await sleep(10_000);
    const loaded = rssMb(srv.proc.pid);
    await sleep(50_000);
    const settled = rssMb(srv.proc.pid);
    const memSettled = smaps(srv.proc.pid);
    if (args.hold) {
      console.log(`holding ${args.hold} s: server pid ${srv.proc.pid}`);
      await sleep(Number(args.hold) * 1000);
    }
    const mem = smaps(srv.proc.pid);
    const perConn = ((loaded - base) * 1024) / Math.max(1, clients.length);
    const lines = [
      `${clients.length} ${plain ? 'plain IMAP sessions, not logged in' : `IMAPS sessions logged in${select ? ' with INBOX selected' : ''}`}, idle (${users} users; ${failed} failed; opened in ${fmt(openSecs)} s; tls.engine ${args['tls-engine'] ?? 'default (auto)'}${args.nofile ? `; descriptor limit ${args.nofile}` : ''}).`,
      '',
      '| server RSS | MB |',
      '| --- | --- |',
      `| before any connection | ${fmt(base)} |`,
      `| with ${clients.length} idle sessions, 10 s after the last login | **${fmt(loaded)}** |`,
      `| per session | ${fmt(perConn)} kB |`,
      `| the same sessions idle for a minute | ${fmt(settled)} (${fmt(((settled - base) * 1024) / Math.max(1, clients.length))} kB per session) |`,
      `| of which anonymous (heap, malloc) / file-backed, after the minute | ${fmt(memSettled.anon / 1024)} / ${fmt(memSettled.file / 1024)} |`,
    ];
    console.log(lines.join('\n'));
    if (heap) {
      const h = await heapSummary(srv.proc.pid, process.cwd(), Boolean(args['keep-snapshot']));
      if (h) {
        const n = Math.max(1, clients.length);
        lines.push(
          '',
          `V8 heap (snapshot, live objects): ${fmt(h.total / 1048576)} MB = ${fmt(h.total / n / 1024)} kB per session; ` +
            `the rest of the anonymous RSS, ${fmt(mem.anon / 1024 - h.total / 1048576)} MB, is native (OpenSSL, libuv, malloc, V8 heap slack).`,
          '',
          '| constructor | count | MB | bytes per session |',
          '| --- | --- | --- | --- |',
          ...h.top.map(([k, e]) => `| ${k.slice(0, 60).replace(/\|/g, '\\|')} | ${e.count} | ${fmt(e.size / 1048576)} | ${Math.round(e.size / n)} |`),
        );
        console.log(lines.slice(lines.length - h.top.length - 5).join('\n'));
      }
    }
    if (args.record) appendResults(`IMAP: RSS of ${total} idle sessions`, lines);
  } finally {
    for (const c of clients) c.ls.sock.destroy();
    await srv.stop();
  }
}

// Run directly (node bench/imap-rss.mjs) as well as through bench/run.mjs.
if (import.meta.url === `file://${process.argv[1]}`) {
  snapshotBuild();
  run(process.argv.slice(2))
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref());
}
