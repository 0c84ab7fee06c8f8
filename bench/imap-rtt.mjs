// Round-trip time of single IMAP commands over IMAPS, one client, Mailstead vs Dovecot on the same
// messages: where per-command latency differs (the stress bench only shows totals per command type).
//   node bench/imap-rtt.mjs [--n 300] [--messages 50] [--prof-dir DIR (the server's CPU profile)]
import { ImapClient, fmt, makeMessage, mailstead, parseArgs, percentiles, setupUsers, snapshotBuild } from './lib.mjs';
import { startDovecot } from './reference.mjs';

const COMMANDS = [
  'NOOP',
  'UID FETCH 1:* (UID FLAGS)',
  'FETCH 7 (UID RFC822.SIZE FLAGS INTERNALDATE ENVELOPE BODYSTRUCTURE)',
  'FETCH 8 BODY.PEEK[]',
  'FETCH 9 (BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE)])',
  'STORE 10 +FLAGS (\\Flagged)',
  'STORE 10 -FLAGS (\\Flagged)',
  'FETCH 11 BODY[TEXT]',
  'STATUS INBOX (MESSAGES UNSEEN UIDNEXT)',
  'SELECT INBOX',
  'LIST "" *',
];

/**
 * Each command is timed on a session of its own: a session may send 1,000 commands at once and 300
 * a second after that (the IMAP command rate limit), which a long run on one session would measure.
 */
async function measure(port, n, total) {
  const setup = await ImapClient.connect(port, { tls: true });
  await setup.login('user1@example.test', 'pass');
  for (let i = 0; i < total; i++) {
    const r = await setup.cmd('APPEND INBOX', makeMessage({ size: 3000, tag: `m${i}` }).raw);
    if (r.status !== 'OK') throw new Error(r.text);
  }
  await setup.logout();
  const out = {};
  for (const [k, line] of COMMANDS.entries()) {
    const c = await ImapClient.connect(port, { tls: true });
    await c.login('user1@example.test', 'pass');
    await c.cmd('SELECT INBOX');
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      const r = await c.cmd(line);
      t.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 'OK') throw new Error(`${line}: ${r.text}`);
    }
    out[k] = percentiles(t);
    await c.logout();
  }
  return out;
}

export async function run(argv) {
  const a = parseArgs(argv);
  const n = Math.min(900, Number(a.n ?? 300));
  const total = Number(a.messages ?? 50);
  const srv = await mailstead({
    services: ['imaps'],
    nodeArgs: a['prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${a['prof-dir']}`] : [],
  });
  await srv.start();
  const dc = await startDovecot({ users: ['user1'], scheme: 'PLAIN', imapReuse: 1 });
  try {
    await setupUsers(srv, 1);
    const ms = await measure(srv.ports.imaps, n, total);
    const dv = await measure(dc.ports.imaps, n, total);
    console.log('| command | Mailstead p50 / p90 ms | Dovecot p50 / p90 ms |');
    console.log('| --- | --- | --- |');
    for (const [k, line] of COMMANDS.entries())
      console.log(`| ${line} | ${fmt(ms[k].p50, 2)} / ${fmt(ms[k].p90, 2)} | ${fmt(dv[k].p50, 2)} / ${fmt(dv[k].p90, 2)} |`);
  } finally {
    await srv.stop();
    await dc.stop();
  }
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
