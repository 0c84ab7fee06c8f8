// SELECT of a very large folder (issue 4: 100k messages must SELECT "in well under a second"), and the
// server's RSS with that folder selected. A timing check, so it lives here and not among the tests.
// The folder is filled over IMAP with MULTIAPPEND (LITERAL+), 1000 messages per command; the messages
// differ only in a counter, so the blob store holds 100k small files. All but the last `--unseen` are
// \Seen, so a rev1 SELECT has to find its [UNSEEN n] at the very end (the worst case for a scan).
// Then FETCH 1:50 (ENVELOPE BODYSTRUCTURE) again and again: the first is cold, the rest show what a
// repeat (a client re-listing the same page) costs.
//
//   node bench/imap-select.mjs [--messages 100000] [--unseen 1] [--runs 10] [--store sqlite|postgres] [--record]
import { readFileSync } from 'node:fs';
import { appendResults, fmt, ImapClient, mailstead, parseArgs, percentiles, setupUsers, snapshotBuild } from './lib.mjs';

function message(i) {
  return Buffer.from(
    `From: Load <load@remote.test>\r\nTo: user1@example.test\r\nSubject: message ${i}\r\n` +
      `Date: Mon, 7 Feb 2022 21:52:25 -0800\r\nMessage-ID: <sel-${i}@remote.test>\r\n\r\nBody ${i}\r\n`,
    'latin1',
  );
}

async function multiAppend(c, box, from, count, seenBelow) {
  const tag = `M${++c.n}`;
  const parts = [Buffer.from(`${tag} APPEND ${box}`, 'latin1')];
  for (let i = from; i < from + count; i++) {
    const m = message(i);
    const flags = i < seenBelow ? '(\\Seen) ' : '';
    parts.push(Buffer.from(` ${flags}{${m.length}+}\r\n`, 'latin1'), m);
  }
  parts.push(Buffer.from('\r\n', 'latin1'));
  c.ls.write(Buffer.concat(parts));
  for (;;) {
    const r = await c.readResponse();
    if (r.text.startsWith(`${tag} `)) {
      if (!r.text.startsWith(`${tag} OK`)) throw new Error(`APPEND: ${r.text}`);
      return;
    }
  }
}

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
}

export async function run(argv) {
  const args = parseArgs(argv);
  const total = Number(args.messages ?? 100_000);
  const runs = Number(args.runs ?? 10);
  const unseen = Number(args.unseen ?? 1);
  const srv = await mailstead({ store: args.store ?? 'sqlite', services: ['imaps'] });
  await srv.start();
  try {
    await setupUsers(srv, 1);
    const c = await ImapClient.connect(srv.ports.imaps, { timeoutMs: 600_000 });
    await c.login('user1@example.test', 'pass');
    const created = await c.cmd('CREATE Big');
    if (created.status !== 'OK') throw new Error(created.text);
    const fillStart = Date.now();
    for (let i = 0; i < total; i += 1000) await multiAppend(c, 'Big', i, Math.min(1000, total - i), total - unseen);
    const fillSecs = (Date.now() - fillStart) / 1000;
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const r = await c.cmd('SELECT Big');
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.status !== 'OK' || !r.untagged.some((u) => u.text === `* ${total} EXISTS`))
        throw new Error(`SELECT: ${r.text}`);
      const want = unseen > 0 ? `[UNSEEN ${total - unseen + 1}]` : null;
      if (want && !r.untagged.some((u) => u.text.includes(want))) throw new Error(`SELECT without ${want}`);
      await c.cmd('UNSELECT');
    }
    const exam = [];
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      await c.cmd('EXAMINE Big');
      exam.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const t0 = process.hrtime.bigint();
    const last = await c.cmd('FETCH * (UID FLAGS)');
    const fetchLast = Number(process.hrtime.bigint() - t0) / 1e6;
    if (last.status !== 'OK') throw new Error(last.text);
    const pages = [];
    for (let i = 0; i < runs; i++) {
      const t1 = process.hrtime.bigint();
      const f = await c.cmd('FETCH 1:50 (ENVELOPE BODYSTRUCTURE)');
      pages.push(Number(process.hrtime.bigint() - t1) / 1e6);
      if (f.status !== 'OK' || f.untagged.length < 50) throw new Error(`FETCH: ${f.text}`);
    }
    const warm = percentiles(pages.slice(1));
    const rss = rssMb(srv.proc.pid);
    await c.logout();
    const p = percentiles(times);
    const e = percentiles(exam);
    const lines = [
      `Folder of ${total} messages (${srv.store}, the last ${unseen} unseen), filled in ${fmt(fillSecs)} s by MULTIAPPEND of 1000.`,
      '',
      '| what | median ms | p90 ms | max ms |',
      '| --- | --- | --- | --- |',
      `| SELECT (${runs} runs) | ${fmt(p.p50)} | ${fmt(p.p90)} | ${fmt(p.max)} |`,
      `| EXAMINE (${runs} runs) | ${fmt(e.p50)} | ${fmt(e.p90)} | ${fmt(e.max)} |`,
      `| FETCH * (UID FLAGS) once selected | ${fmt(fetchLast)} | | |`,
      `| FETCH 1:50 (ENVELOPE BODYSTRUCTURE), first | ${fmt(pages[0])} | | |`,
      `| FETCH 1:50 (ENVELOPE BODYSTRUCTURE), again (${runs - 1} runs) | ${fmt(warm.p50)} | ${fmt(warm.p90)} | ${fmt(warm.max)} |`,
      '',
      `Server RSS with the folder selected: ${fmt(rss)} MB.`,
    ];
    console.log(lines.join('\n'));
    if (args.record) appendResults('IMAP: SELECT of a large folder', lines);
  } finally {
    await srv.stop();
  }
}

// Run directly (node bench/imap-select.mjs) as well as through bench/run.mjs.
if (import.meta.url === `file://${process.argv[1]}`) {
  snapshotBuild();
  run(process.argv.slice(2))
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    })
    .finally(() => setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref());
}
