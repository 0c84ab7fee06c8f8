// Memory of idle IMAP sessions (issue 4: 10,000 idle authenticated connections in under 300 MB): the
// server's RSS before any connection, then with N IMAPS sessions logged in (and, with --select, INBOX
// selected) doing nothing. Sessions are spread over --users addresses. The users' scrypt hashes are
// swapped for cheap ones (N=2^10) straight in the SQLite file, so 10,000 LOGINs take seconds and not
// the half hour that the real cost (N=2^15, ~100 ms of CPU each) would; login cost is not what this
// measures.
//
//   node bench/imap-rss.mjs [--connections 10000] [--users 100] [--select] [--record]
import { randomBytes, scryptSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendResults, fmt, ImapClient, mailstead, parseArgs, ROOT, setupUsers, sleep, snapshotBuild } from './lib.mjs';

function rssMb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
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
  const srv = await mailstead({
    services: ['imaps'],
    connectionsPerIp: total + 100,
    connectionsPerUser: total + 100,
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
          const c = await ImapClient.connect(srv.ports.imaps, { timeoutMs: 120_000 });
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
    // Let the server settle (TLS handshakes' garbage collected) before reading its RSS.
    await sleep(10_000);
    const loaded = rssMb(srv.proc.pid);
    const perConn = ((loaded - base) * 1024) / Math.max(1, clients.length);
    const lines = [
      `${clients.length} IMAPS sessions logged in${select ? ' with INBOX selected' : ''}, idle (${users} users; ${failed} failed; opened in ${fmt(openSecs)} s).`,
      '',
      '| server RSS | MB |',
      '| --- | --- |',
      `| before any connection | ${fmt(base)} |`,
      `| with ${clients.length} idle sessions | **${fmt(loaded)}** |`,
      `| per session | ${fmt(perConn)} kB |`,
    ];
    console.log(lines.join('\n'));
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
