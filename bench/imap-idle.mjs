// Delivery-to-IDLE latency: K users each keep one IMAP session in IDLE on INBOX; messages are
// delivered one at a time (to the users in turn) and the time from the start of the delivery to the
// `* n EXISTS` seen by that user's IDLE session is recorded.
//  - via SMTP: Mailstead MX vs Postfix -> LMTP -> Dovecot
//  - via IMAP APPEND from another session: Mailstead vs Dovecot
// Deliveries alternate between the two servers.
//
//   npm run bench -- imap-idle [--users 20] [--deliveries 80]
import { appendResults, fmt, ImapClient, makeMessage, mailstead, parseArgs, percentiles, setupUsers, sleep, SmtpClient } from './lib.mjs';
import { haveReference, startDovecot, startPostfix } from './reference.mjs';

/** One IDLE session per user; `expect(user)` resolves at that user's next EXISTS. */
async function idlers(port, users) {
  const waiters = new Map();
  const sessions = [];
  for (const u of users) {
    const c = await ImapClient.connect(port, { timeoutMs: 3_600_000 });
    await c.login(`${u}@example.test`, 'pass');
    const sel = await c.cmd('SELECT INBOX');
    if (sel.status !== 'OK') throw new Error(sel.text);
    c.ls.write('I1 IDLE\r\n');
    const cont = await c.readResponse();
    if (!cont.text.startsWith('+')) throw new Error(`IDLE: ${cont.text}`);
    sessions.push(c);
    (async () => {
      for (;;) {
        let r;
        try {
          r = await c.readResponse();
        } catch {
          return;
        }
        if (/^\* \d+ EXISTS/.test(r.text)) {
          const w = waiters.get(u);
          if (w) {
            waiters.delete(u);
            w(process.hrtime.bigint());
          }
        }
      }
    })();
  }
  return {
    expect(u, timeoutMs = 15_000) {
      return new Promise((resolve) => {
        const t = setTimeout(() => {
          waiters.delete(u);
          resolve(undefined);
        }, timeoutMs);
        waiters.set(u, (at) => {
          clearTimeout(t);
          resolve(at);
        });
      });
    },
    close() {
      for (const c of sessions) {
        c.ls.write('DONE\r\n');
        c.destroy();
      }
    },
  };
}

export async function run(argv) {
  const a = parseArgs(argv);
  const nUsers = Number(a.users ?? 20);
  const deliveries = Number(a.deliveries ?? 80);
  const users = Array.from({ length: nUsers }, (_, i) => `user${i + 1}`);
  if (!haveReference()) throw new Error('Postfix/Dovecot missing: apt-get install -y postfix dovecot-imapd dovecot-lmtpd');
  const ms = await mailstead({ services: ['smtp', 'imaps'] });
  await ms.start();
  await setupUsers(ms, nUsers);
  const dc = await startDovecot({ users, scheme: 'PLAIN' });
  const pf = await startPostfix({ users, lmtpPort: dc.ports.lmtp });
  const sides = {
    ms: { smtp: ms.ports.smtp, imaps: ms.ports.imaps },
    ref: { smtp: pf.ports.smtp, imaps: dc.ports.imaps },
  };
  const res = { ms: { smtp: [], append: [], lost: 0 }, ref: { smtp: [], append: [], lost: 0 } };
  const idle = {};
  const appender = {};
  try {
    for (const k of ['ms', 'ref']) {
      idle[k] = await idlers(sides[k].imaps, users);
      appender[k] = {};
    }
    await sleep(500);
    for (let i = 0; i < deliveries; i++) {
      const u = users[i % users.length];
      for (const k of ['ms', 'ref']) {
        // via SMTP
        const wait = idle[k].expect(u);
        const m = makeMessage({ to: `${u}@example.test`, size: 3000, tag: 'idle' });
        const t0 = process.hrtime.bigint();
        const c = await SmtpClient.connect(sides[k].smtp);
        await c.ehlo();
        const r = await c.send('load@remote.test', [`${u}@example.test`], m.raw);
        await c.quit();
        if (r.code !== 250) throw new Error(`${k} SMTP: ${r.text}`);
        const at = await wait;
        if (at === undefined) res[k].lost++;
        else res[k].smtp.push(Number(at - t0) / 1e6);
        // via APPEND from a second session of the same user
        appender[k][u] ??= await (async () => {
          const x = await ImapClient.connect(sides[k].imaps);
          await x.login(`${u}@example.test`, 'pass');
          return x;
        })();
        const wait2 = idle[k].expect(u);
        const m2 = makeMessage({ to: `${u}@example.test`, size: 3000, tag: 'idle' });
        const t1 = process.hrtime.bigint();
        const ar = await appender[k][u].cmd('APPEND INBOX', m2.raw);
        if (ar.status !== 'OK') throw new Error(`${k} APPEND: ${ar.text}`);
        const at2 = await wait2;
        if (at2 === undefined) res[k].lost++;
        else res[k].append.push(Number(at2 - t1) / 1e6);
      }
      process.stdout.write(`delivery ${i + 1}/${deliveries}\r`);
    }
    console.log('');
    const P = (xs) => percentiles(xs);
    const rows = [];
    for (const [mode, label] of [
      ['smtp', 'SMTP delivery → IDLE EXISTS (reference: Postfix → LMTP → Dovecot)'],
      ['append', 'APPEND from another session → IDLE EXISTS (reference: Dovecot)'],
    ]) {
      const x = P(res.ms[mode]);
      const y = P(res.ref[mode]);
      console.log(`${mode}: mailstead p50 ${fmt(x.p50)} p90 ${fmt(x.p90)} p99 ${fmt(x.p99)} ms; reference p50 ${fmt(y.p50)} p90 ${fmt(y.p90)} p99 ${fmt(y.p99)} ms; ratio p50 ${fmt(x.p50 / y.p50, 2)}`);
      rows.push(
        `| ${label} | ${x.n} | ${fmt(x.p50)} / ${fmt(x.p90)} / ${fmt(x.p99)} / ${fmt(x.max)} | ${fmt(y.p50)} / ${fmt(y.p90)} / ${fmt(y.p99)} / ${fmt(y.max)} | ${fmt(x.p50 / y.p50, 2)} / ${fmt(x.p99 / y.p99, 2)} |`,
      );
    }
    appendResults('imap-idle', [
      `\`npm run bench -- imap-idle --users ${nUsers} --deliveries ${deliveries}\`: ${nUsers} users, one IMAPS session each in IDLE on INBOX on each server; one delivery at a time, alternating servers; latency from the start of the delivery (SMTP connect, or APPEND sent) to the \`* n EXISTS\` in the user's IDLE session. ` +
        `Mailstead: MX on SQLite, in-process change events. Reference: Dovecot 2.3 (maildir; IDLE woken by inotify), Postfix as MX.`,
      '',
      '| path | deliveries | Mailstead p50 / p90 / p99 / max (ms) | reference p50 / p90 / p99 / max (ms) | ratio of times p50 / p99 (lower is better for Mailstead) |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      `Notifications not seen within 15 s: Mailstead ${res.ms.lost}, reference ${res.ref.lost}.`,
    ]);
  } finally {
    for (const k of Object.keys(idle)) idle[k].close();
    for (const k of Object.keys(appender)) for (const c of Object.values(appender[k])) c.destroy();
    await ms.cleanup();
    await pf.stop();
    await dc.stop();
  }
}
