// SMTP: messages per second accepted over SMTP (MX, no TLS) with N concurrent clients, and the
// latency of one transaction (MAIL FROM to the reply after DATA), Mailstead vs Postfix handing mail
// to Dovecot over LMTP. Also end to end: until the last accepted message is in a mailbox (Mailstead
// answers 250 only once the copy is stored; Postfix answers once it is queued).
//
//   npm run bench -- smtp [--clients 8] [--seconds 30] [--rounds 3] [--size 4000] [--per-connection 10]
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appendResults, fmt, makeMessage, mailstead, parseArgs, percentiles, setupUsers, sleep, SmtpClient } from './lib.mjs';
import { haveReference, startDovecot, startPostfix } from './reference.mjs';

const USERS = Array.from({ length: 10 }, (_, i) => `user${i + 1}`);

async function load(port, { clients, seconds, size, perConnection }) {
  const lat = [];
  let accepted = 0;
  let refused = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const t0 = Date.now();
  async function client(w) {
    let n = w;
    while (Date.now() < end) {
      let c;
      try {
        c = await SmtpClient.connect(port);
        await c.ehlo();
        for (let i = 0; i < perConnection && Date.now() < end; i++) {
          const to = `${USERS[n++ % USERS.length]}@example.test`;
          const m = makeMessage({ to, size, tag: 'smtpbench' });
          const s = process.hrtime.bigint();
          const r = await c.send('load@remote.test', [to], m.raw);
          if (r.code === 250) {
            accepted++;
            lat.push(Number(process.hrtime.bigint() - s) / 1e6);
          } else refused++;
        }
        await c.quit();
      } catch {
        errors++;
        c?.destroy();
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, w) => client(w)));
  const secs = (Date.now() - t0) / 1000;
  return { accepted, refused, errors, secs, rate: accepted / secs, lat: percentiles(lat), latencies: lat };
}

function countMaildir(root) {
  let n = 0;
  if (!existsSync(root)) return 0;
  for (const u of readdirSync(join(root, 'example.test'))) {
    for (const sub of ['new', 'cur']) {
      const d = join(root, 'example.test', u, sub);
      if (existsSync(d)) n += readdirSync(d).length;
    }
  }
  return n;
}

export async function run(argv) {
  const a = parseArgs(argv);
  const opts = {
    clients: Number(a.clients ?? 8),
    seconds: Number(a.seconds ?? 30),
    rounds: Number(a.rounds ?? 3),
    size: Number(a.size ?? 4000),
    perConnection: Number(a['per-connection'] ?? 10),
  };
  if (!haveReference()) throw new Error('Postfix/Dovecot missing: apt-get install -y postfix dovecot-imapd dovecot-lmtpd dovecot-sieve');
  const ms = await mailstead({ services: ['smtp', 'imaps'] });
  await ms.start();
  await setupUsers(ms, USERS.length);
  const dc = await startDovecot({ users: USERS });
  const pf = await startPostfix({ users: USERS, lmtpPort: dc.ports.lmtp });
  try {
    // Warm-up (JIT, connection pools), not counted.
    await load(ms.ports.smtp, { ...opts, seconds: 2 });
    await load(pf.ports.smtp, { ...opts, seconds: 2 });
    await sleep(1000);
    // Interleaved slices (Mailstead, reference, Mailstead, ...) so that the load other processes put
    // on the machine falls on both alike.
    const slice = opts.seconds / opts.rounds;
    console.log(`SMTP: ${opts.clients} clients, ${opts.rounds} rounds of ${slice} s each, ${opts.size}-byte messages, ${opts.perConnection} per connection`);
    const mAll = [];
    const pAll = [];
    let stored = 0;
    let e2eSecs = 0;
    for (let r = 0; r < opts.rounds; r++) {
      mAll.push(await load(ms.ports.smtp, { ...opts, seconds: slice }));
      const base = countMaildir(dc.mailDir);
      const t0 = Date.now();
      const one = await load(pf.ports.smtp, { ...opts, seconds: slice });
      pAll.push(one);
      // Postfix queued them; wait until Dovecot has stored every one.
      let got = 0;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        got = countMaildir(dc.mailDir) - base;
        if (got >= one.accepted) break;
        await sleep(50);
      }
      stored += got;
      e2eSecs += (Date.now() - t0) / 1000;
    }
    const merge = (xs) => {
      const accepted = xs.reduce((s, x) => s + x.accepted, 0);
      const secs = xs.reduce((s, x) => s + x.secs, 0);
      return {
        accepted,
        secs,
        rate: accepted / secs,
        refused: xs.reduce((s, x) => s + x.refused, 0),
        errors: xs.reduce((s, x) => s + x.errors, 0),
        lat: percentiles(xs.flatMap((x) => x.latencies)),
      };
    };
    const m = merge(mAll);
    const p = merge(pAll);
    const pE2e = stored / e2eSecs;
    console.log(`mailstead: ${fmt(m.rate)} msg/s accepted (stored), p50 ${fmt(m.lat.p50)} ms p90 ${fmt(m.lat.p90)} p99 ${fmt(m.lat.p99)}`);
    console.log(`postfix+dovecot: ${fmt(p.rate)} msg/s accepted (queued), ${fmt(pE2e)} msg/s stored end to end (${stored}/${p.accepted}), p50 ${fmt(p.lat.p50)} ms p90 ${fmt(p.lat.p90)} p99 ${fmt(p.lat.p99)}`);
    const ratio = m.rate / p.rate;
    const ratioE2e = m.rate / pE2e;
    console.log(`ratio mailstead/postfix: accepted ${fmt(ratio, 2)}, stored end to end ${fmt(ratioE2e, 2)}`);
    appendResults('smtp', [
      `\`npm run bench -- smtp --clients ${opts.clients} --seconds ${opts.seconds}\`: ${opts.clients} concurrent SMTP clients without TLS, ${opts.size}-byte messages, ${opts.perConnection} transactions per connection, 10 recipients in turn; ${opts.rounds} interleaved slices per server totalling ${opts.seconds} s each. ` +
        `Mailstead: MX on SQLite with SPF/DKIM/DMARC checks (local .test DNS), 250 after the copy is fsynced. Reference: Postfix (no milters, no policy checks) queueing, then LMTP to Dovecot (maildir, mail_fsync=optimized).`,
      '',
      '| server | accepted msg/s | stored msg/s (end to end) | latency p50 | p90 | p99 | refused / errors |',
      '|---|---|---|---|---|---|---|',
      `| Mailstead smtp (SQLite) | ${fmt(m.rate)} | ${fmt(m.rate)} (250 = stored) | ${fmt(m.lat.p50)} ms | ${fmt(m.lat.p90)} ms | ${fmt(m.lat.p99)} ms | ${m.refused} / ${m.errors} |`,
      `| Postfix → LMTP → Dovecot | ${fmt(p.rate)} | ${fmt(pE2e)} (${stored}/${p.accepted}) | ${fmt(p.lat.p50)} ms | ${fmt(p.lat.p90)} ms | ${fmt(p.lat.p99)} ms | ${p.refused} / ${p.errors} |`,
      `| **ratio Mailstead / reference** | **${fmt(ratio, 2)}** | **${fmt(ratioE2e, 2)}** | | | | |`,
    ]);
    return { m, p, ratio, ratioE2e };
  } finally {
    await ms.cleanup();
    await pf.stop();
    await dc.stop();
  }
}
