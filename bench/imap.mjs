// IMAP, Mailstead vs Dovecot (both IMAPS on loopback, same users, same messages, same client code):
//  - APPEND throughput (4 clients, distinct 4 kB messages)
//  - session throughput: connect + TLS + LOGIN + SELECT + FETCH 50 envelopes + FETCH one body + LOGOUT,
//    N concurrent clients, sessions/s and session latency percentiles
//  - a big mailbox (default 100,000 messages): SELECT time, and UID FETCH 1:* (FLAGS) (a client resync)
// Slices alternate between the two servers so that the machine's background load falls on both.
//
//   npm run bench -- imap [--clients 8] [--seconds 20] [--messages 1000] [--big 100000] [--dovecot-scheme ARGON2ID|PLAIN]
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { appendResults, fmt, ImapClient, makeMessage, mailstead, parseArgs, percentiles, setupUsers } from './lib.mjs';
import { haveReference, startDovecot } from './reference.mjs';

async function appendLoad(port, user, count, clients) {
  let next = 0;
  const lat = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = await ImapClient.connect(port);
      await c.login(user, 'pass');
      while (next < count) {
        next++;
        const m = makeMessage({ to: user, size: 4000, tag: 'imapbench' });
        const s = process.hrtime.bigint();
        const r = await c.cmd('APPEND INBOX', m.raw);
        if (r.status !== 'OK') throw new Error(`APPEND: ${r.text}`);
        lat.push(Number(process.hrtime.bigint() - s) / 1e6);
      }
      await c.logout();
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  return { rate: count / secs, lat: percentiles(lat) };
}

async function sessionLoad(port, user, seconds, clients, messages, reuse = false) {
  const lat = [];
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      let c;
      while (Date.now() < end) {
        const s = process.hrtime.bigint();
        try {
          if (!c) {
            c = await ImapClient.connect(port);
            await c.login(user, 'pass');
          }
          const sel = await c.cmd('SELECT INBOX');
          if (sel.status !== 'OK') throw new Error(sel.text);
          const from = Math.max(1, messages - 49);
          const f = await c.cmd(`FETCH ${from}:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)`);
          if (f.status !== 'OK') throw new Error(f.text);
          const b = await c.cmd(`FETCH ${1 + Math.floor(Math.random() * messages)} BODY.PEEK[]`);
          if (b.status !== 'OK') throw new Error(b.text);
          if (!reuse) {
            await c.logout();
            c = undefined;
          }
          lat.push(Number(process.hrtime.bigint() - s) / 1e6);
        } catch {
          errors++;
          c?.destroy();
          c = undefined;
        }
      }
      if (c) await c.logout();
    }),
  );
  const secs = (Date.now() - t0) / 1000;
  return { sessions: lat.length, secs, errors, latencies: lat };
}

/** MULTIAPPEND batches of identical messages (Mailstead stores the body once: content-addressed). */
async function multiAppend(port, user, total, batch = 500) {
  const c = await ImapClient.connect(port, { timeoutMs: 300_000 });
  await c.login(user, 'pass');
  const m = makeMessage({ to: user, size: 2000, tag: 'big' });
  const lit = Buffer.from(m.raw, 'latin1');
  for (let done = 0; done < total; done += batch) {
    const n = Math.min(batch, total - done);
    const tag = `M${done}`;
    let cmd = `${tag} APPEND INBOX`;
    const parts = [];
    for (let i = 0; i < n; i++) parts.push(` {${lit.length}+}\r\n`, lit);
    c.ls.write(cmd);
    for (const p of parts) c.ls.write(p);
    c.ls.write('\r\n');
    for (;;) {
      const r = await c.readResponse();
      if (r.text.startsWith(tag + ' ')) {
        if (!r.text.startsWith(`${tag} OK`)) throw new Error(`MULTIAPPEND: ${r.text}`);
        break;
      }
    }
  }
  await c.logout();
}

/** Dovecot's big mailbox: maildir files written directly, then indexed once (untimed). */
function maildirFill(dir, user, total) {
  const mail = spawnSync('id', ['-u', 'mail'], { encoding: 'utf8' });
  const uid = Number(mail.stdout);
  const root = join(dir, 'example.test', user);
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  const m = makeMessage({ to: `${user}@example.test`, size: 2000, tag: 'big' });
  const now = Math.floor(Date.now() / 1000);
  for (let i = 0; i < total; i++) writeFileSync(join(root, 'cur', `${now}.M${i}P1.ref,S=${m.raw.length}:2,`), m.raw);
  spawnSync('chown', ['-R', `${uid}:${uid}`, join(dir, 'example.test')]);
  chownSync(join(dir, 'example.test'), uid, uid);
}

async function timed(port, user, cmds, reps) {
  const out = cmds.map(() => []);
  for (let r = 0; r < reps; r++) {
    const c = await ImapClient.connect(port, { timeoutMs: 300_000 });
    await c.login(user, 'pass');
    for (let i = 0; i < cmds.length; i++) {
      const s = process.hrtime.bigint();
      const x = await c.cmd(cmds[i]);
      if (x.status !== 'OK') throw new Error(`${cmds[i]}: ${x.text}`);
      out[i].push(Number(process.hrtime.bigint() - s) / 1e6);
    }
    await c.logout();
  }
  return out.map((xs) => percentiles(xs).p50);
}

export async function run(argv) {
  const a = parseArgs(argv);
  const clients = Number(a.clients ?? 8);
  const seconds = Number(a.seconds ?? 20);
  const rounds = Number(a.rounds ?? 2);
  const messages = Number(a.messages ?? 1000);
  const big = Number(a.big ?? 100_000);
  if (!haveReference()) throw new Error('Dovecot missing: apt-get install -y dovecot-imapd dovecot-lmtpd');
  const ms = await mailstead({ services: ['imaps'] });
  await ms.start();
  await setupUsers(ms, 2);
  const dc = await startDovecot({ users: ['user1', 'user2'], scheme: a['dovecot-scheme'] ?? 'ARGON2ID' });
  const U1 = 'user1@example.test';
  const U2 = 'user2@example.test';
  try {
    // APPEND, half the messages per slice, alternating.
    const half = Math.ceil(messages / 2);
    const ap = { ms: [], dc: [] };
    for (let r = 0; r < 2; r++) {
      ap.ms.push(await appendLoad(ms.ports.imaps, U1, half, 4));
      ap.dc.push(await appendLoad(dc.ports.imaps, U1, half, 4));
    }
    const apMs = (ap.ms[0].rate + ap.ms[1].rate) / 2;
    const apDc = (ap.dc[0].rate + ap.dc[1].rate) / 2;
    console.log(`APPEND: mailstead ${fmt(apMs)} msg/s, dovecot ${fmt(apDc)} msg/s, ratio ${fmt(apMs / apDc, 2)}`);

    const total = 2 * half;
    const sess = { ms: [], dc: [] };
    const warm = { ms: [], dc: [] };
    await sessionLoad(ms.ports.imaps, U1, 2, clients, total); // warm-up
    await sessionLoad(dc.ports.imaps, U1, 2, clients, total);
    for (let r = 0; r < rounds; r++) {
      sess.ms.push(await sessionLoad(ms.ports.imaps, U1, seconds / rounds, clients, total));
      sess.dc.push(await sessionLoad(dc.ports.imaps, U1, seconds / rounds, clients, total));
      warm.ms.push(await sessionLoad(ms.ports.imaps, U1, seconds / rounds / 2, clients, total, true));
      warm.dc.push(await sessionLoad(dc.ports.imaps, U1, seconds / rounds / 2, clients, total, true));
    }
    const agg = (xs) => {
      const n = xs.reduce((s, x) => s + x.sessions, 0);
      const secs = xs.reduce((s, x) => s + x.secs, 0);
      return { rate: n / secs, errors: xs.reduce((s, x) => s + x.errors, 0), lat: percentiles(xs.flatMap((x) => x.latencies)) };
    };
    const sMs = agg(sess.ms);
    const sDc = agg(sess.dc);
    const wMs = agg(warm.ms);
    const wDc = agg(warm.dc);
    console.log(`logged-in SELECT+FETCH: mailstead ${fmt(wMs.rate)}/s, dovecot ${fmt(wDc.rate)}/s, ratio ${fmt(wMs.rate / wDc.rate, 2)}`);
    console.log(`sessions: mailstead ${fmt(sMs.rate)}/s p50 ${fmt(sMs.lat.p50)} ms p99 ${fmt(sMs.lat.p99)}; dovecot ${fmt(sDc.rate)}/s p50 ${fmt(sDc.lat.p50)} ms p99 ${fmt(sDc.lat.p99)}; ratio ${fmt(sMs.rate / sDc.rate, 2)}`);

    // The big mailbox.
    const f0 = Date.now();
    await multiAppend(ms.ports.imaps, U2, big);
    const fillMs = (Date.now() - f0) / 1000;
    maildirFill(dc.mailDir, 'user2', big);
    const first = Date.now();
    await timed(dc.ports.imaps, U2, ['SELECT INBOX'], 1); // Dovecot builds its index once
    const dcIndex = (Date.now() - first) / 1000;
    const cmds = ['SELECT INBOX', 'UID FETCH 1:* (FLAGS)', 'STATUS INBOX (MESSAGES UNSEEN UIDNEXT)'];
    const bMs = [];
    const bDc = [];
    for (let r = 0; r < 3; r++) {
      bMs.push(await timed(ms.ports.imaps, U2, cmds, 1));
      bDc.push(await timed(dc.ports.imaps, U2, cmds, 1));
    }
    const med = (rows, i) => percentiles(rows.map((x) => x[i])).p50;
    const bigRows = cmds.map((c, i) => ({ cmd: c, ms: med(bMs, i), dc: med(bDc, i) }));
    for (const r of bigRows) console.log(`${big} messages, ${r.cmd}: mailstead ${fmt(r.ms)} ms, dovecot ${fmt(r.dc)} ms, ratio (time) ${fmt(r.ms / r.dc, 2)}`);

    appendResults('imap', [
      `\`npm run bench -- imap --clients ${clients} --seconds ${seconds} --messages ${messages} --big ${big}\`: Mailstead (SQLite, scrypt N=2^15 password hashes) vs Dovecot (maildir, mail_fsync=optimized, passwd-file with ${a['dovecot-scheme'] ?? 'ARGON2ID'} hashes (doveadm pw defaults: m=64 MiB, t=3), no auth cache), both IMAPS on loopback, same raw client; slices alternate between the servers.`,
      '',
      '| figure | Mailstead imap | Dovecot | ratio Mailstead / Dovecot |',
      '|---|---|---|---|',
      `| APPEND, 4 clients, 4 kB messages (msg/s) | ${fmt(apMs)} | ${fmt(apDc)} | ${fmt(apMs / apDc, 2)} |`,
      `| APPEND latency p50 / p99 (ms) | ${fmt(ap.ms[1].lat.p50)} / ${fmt(ap.ms[1].lat.p99)} | ${fmt(ap.dc[1].lat.p50)} / ${fmt(ap.dc[1].lat.p99)} | |`,
      `| sessions/s (${clients} clients: TLS connect, LOGIN, SELECT ${total} msgs, FETCH 50 ENVELOPEs, FETCH 1 body, LOGOUT) | ${fmt(sMs.rate)} | ${fmt(sDc.rate)} | ${fmt(sMs.rate / sDc.rate, 2)} |`,
      `| session latency p50 / p90 / p99 (ms) | ${fmt(sMs.lat.p50)} / ${fmt(sMs.lat.p90)} / ${fmt(sMs.lat.p99)} | ${fmt(sDc.lat.p50)} / ${fmt(sDc.lat.p90)} / ${fmt(sDc.lat.p99)} | |`,
      `| logged in already: SELECT + FETCH 50 ENVELOPEs + FETCH 1 body per second (${clients} connections) | ${fmt(wMs.rate)} | ${fmt(wDc.rate)} | ${fmt(wMs.rate / wDc.rate, 2)} |`,
      `| … latency p50 / p99 (ms) | ${fmt(wMs.lat.p50)} / ${fmt(wMs.lat.p99)} | ${fmt(wDc.lat.p50)} / ${fmt(wDc.lat.p99)} | |`,
      ...bigRows.map((r) => `| ${big.toLocaleString('en')}-message mailbox: \`${r.cmd}\` (ms, median of 3; ratio of times, lower is better for Mailstead) | ${fmt(r.ms)} | ${fmt(r.dc)} | ${fmt(r.ms / r.dc, 2)} |`),
      '',
      `Big mailbox setup (untimed in the table): Mailstead filled by MULTIAPPEND in batches of 500 (identical 2 kB bodies, stored once by the content-addressed blob store) in ${fmt(fillMs)} s; Dovecot's maildir files written directly, its first SELECT (index build) took ${fmt(dcIndex)} s. Session errors: Mailstead ${sMs.errors}, Dovecot ${sDc.errors}.`,
    ]);
  } finally {
    await ms.cleanup();
    await dc.stop();
  }
}
