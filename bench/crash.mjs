// Crash soak: SMTP (MX) deliveries and IMAP APPENDs run concurrently while the server is killed with
// SIGKILL at random moments and restarted each time. At the end every acknowledged message (250 to
// the end of DATA, OK to APPEND; tracked by Message-ID and recipient) must be stored exactly once,
// every stored row must have its blob (right size, right hash), quota and UID counters must agree with
// the rows, and the database must pass its integrity check.
//
//   npm run bench -- crash [--store sqlite|postgres] [--kills 20] [--smtp 4] [--imap 2] [--users 3] [--max-size 20500]
import { appendResults, BIN, dropSchema, ImapClient, makeMessage, mailstead, parseArgs, PG_URL, setupUsers, sleep, SmtpClient } from './lib.mjs';
import { dirname, join } from 'node:path';
import { verifyImap, verifyStore } from './verify.mjs';

/** Stale temporary files and unreferenced blobs removed by the server's own housekeeping code. */
async function collectAfterSoak(srv) {
  const dist = join(dirname(BIN), '..', 'dist', 'src');
  const { openStore } = await import(join(dist, 'store', 'open.js'));
  const { BlobCollector } = await import(join(dist, 'core', 'housekeeping', 'blob-gc.js'));
  const store = await openStore(
    srv.store === 'postgres' ? { kind: 'postgres', dataDir: srv.dataDir, url: PG_URL, schema: srv.schema } : { kind: 'sqlite', dataDir: srv.dataDir },
  );
  try {
    const temporaries = await store.blobs.removeStaleTemporaries(0);
    const c = new BlobCollector(store.blobs, store, { graceMs: 0, settleMs: 0 });
    const first = await c.run(); // marks
    const second = await c.run(); // collects
    return { temporaries, deleted: second.deleted, scanned: first.scanned, restored: second.restored };
  } finally {
    await store.close();
  }
}

export async function run(argv) {
  const a = parseArgs(argv);
  const store = a.store === 'postgres' || a.store === 'pg' ? 'postgres' : 'sqlite';
  const kills = Number(a.kills ?? 20);
  const smtpWorkers = Number(a.smtp ?? 4);
  const imapWorkers = Number(a.imap ?? 2);
  const nUsers = Number(a.users ?? 3);
  // Message sizes are uniform in 500..maxSize bytes; above store.inline_blob_max (100 KiB) bodies are files.
  const maxSize = Number(a['max-size'] ?? 20_500);
  const minGap = Number(a['min-gap'] ?? 150);
  const maxGap = Number(a['max-gap'] ?? 2000);
  const users = Array.from({ length: nUsers }, (_, i) => `user${i + 1}`);

  const srv = await mailstead({ store, services: ['smtp', 'imaps'] });
  console.log(`crash soak on ${store}: ${kills} SIGKILLs, ${smtpWorkers} SMTP + ${imapWorkers} IMAP APPEND clients; dir ${srv.dir}`);
  await srv.start();
  await setupUsers(srv, nUsers);

  const acked = new Map(); // Message-ID -> [local parts]
  const stats = { smtpAcked: 0, appendAcked: 0, smtpTemp: {}, smtpPerm: {}, appendNo: 0, ioErrors: 0, connectFails: 0, attempts: 0 };
  let running = true;
  const pick = () => users[Math.floor(Math.random() * users.length)];
  const bump = (o, k) => (o[k] = (o[k] ?? 0) + 1);

  async function smtpWorker() {
    while (running) {
      let c;
      try {
        c = await SmtpClient.connect(srv.ports.smtp, { timeoutMs: 15_000 });
      } catch {
        stats.connectFails++;
        await sleep(30);
        continue;
      }
      try {
        await c.ehlo();
        for (let i = 0; i < 25 && running; i++) {
          // One in five messages goes to two recipients: both copies must be there exactly once.
          const to = Math.random() < 0.2 ? [...new Set([pick(), pick()])] : [pick()];
          const m = makeMessage({ to: `${to[0]}@example.test`, size: 500 + Math.floor(Math.random() * (maxSize - 500)), tag: 'smtp' });
          stats.attempts++;
          const r = await c.send('load@remote.test', to.map((u) => `${u}@example.test`), m.raw);
          if (r.code === 250) {
            acked.set(m.id, to);
            stats.smtpAcked++;
          } else if (r.code >= 400 && r.code < 500) bump(stats.smtpTemp, r.text.slice(0, 9));
          else bump(stats.smtpPerm, r.text.slice(0, 9));
        }
        await c.quit();
      } catch {
        stats.ioErrors++;
        c.destroy();
        await sleep(30);
      }
    }
  }

  async function imapWorker(w) {
    const u = users[w % users.length];
    while (running) {
      let c;
      try {
        c = await ImapClient.connect(srv.ports.imaps, { timeoutMs: 15_000 });
      } catch {
        stats.connectFails++;
        await sleep(30);
        continue;
      }
      try {
        await c.login(`${u}@example.test`, 'pass');
        for (let i = 0; i < 25 && running; i++) {
          const m = makeMessage({ to: `${u}@example.test`, size: 500 + Math.floor(Math.random() * (maxSize - 500)), tag: 'append' });
          stats.attempts++;
          const r = await c.cmd('APPEND INBOX (\\Seen)', m.raw);
          if (r.status === 'OK') {
            acked.set(m.id, [u]);
            stats.appendAcked++;
          } else stats.appendNo++;
        }
        await c.logout();
      } catch {
        stats.ioErrors++;
        c.destroy();
        await sleep(30);
      }
    }
  }

  const workers = [
    ...Array.from({ length: smtpWorkers }, () => smtpWorker()),
    ...Array.from({ length: imapWorkers }, (_, i) => imapWorker(i)),
  ];
  const t0 = Date.now();
  const restartMs = [];
  for (let k = 1; k <= kills; k++) {
    await sleep(minGap + Math.random() * (maxGap - minGap));
    const before = stats.smtpAcked + stats.appendAcked;
    await srv.kill();
    const r0 = Date.now();
    await srv.start();
    restartMs.push(Date.now() - r0);
    process.stdout.write(`kill ${k}/${kills}: acked so far ${before}\r`);
  }
  await sleep(1500);
  running = false;
  await Promise.all(workers);
  const elapsed = (Date.now() - t0) / 1000;
  console.log('');
  // Let the queue deliver anything parked for a local retry, then look as a client would.
  await sleep(2000);
  const imap = await verifyImap(srv.ports.imaps, users);
  await srv.stop();
  const v = await verifyStore(srv, acked);
  // The housekeeping pass the server runs hourly, on what the kills left (no grace period: nothing
  // is writing now): it must remove the leftovers and nothing any row refers to.
  const gc = await collectAfterSoak(srv);
  const v2 = await verifyStore(srv, acked);
  await dropSchema(srv.schema);

  const avgRestart = restartMs.reduce((s, x) => s + x, 0) / restartMs.length;
  const res = {
    store,
    kills,
    seconds: elapsed,
    attempts: stats.attempts,
    smtpAcked: stats.smtpAcked,
    appendAcked: stats.appendAcked,
    ...v,
    imapVisible: imap.count,
    imapFetchErrors: imap.fetchErrors,
    smtpTemp: stats.smtpTemp,
    smtpPerm: stats.smtpPerm,
    appendNo: stats.appendNo,
    ioErrors: stats.ioErrors,
    connectFails: stats.connectFails,
    avgRestartMs: Math.round(avgRestart),
  };
  res.gc = { ...gc, rowsWithoutBodyAfter: v2.missingBlob + v2.badBlob, leftAfter: `${v2.tmpFiles}/${v2.unreferencedBlobs}`, okAfter: v2.ok };
  res.ok =
    v.ok && imap.fetchErrors === 0 && imap.count === v.rows && kills >= 1 && v2.ok && v2.rows === v.rows && v2.tmpFiles === 0 && v2.unreferencedBlobs === 0;
  console.log(JSON.stringify(res, null, 2));
  const line =
    `| ${store} | ${kills} | ${elapsed.toFixed(0)} s | ${stats.smtpAcked} + ${stats.appendAcked} | ${v.ackedCopies} | ` +
    `${v.missing} | ${v.duplicated} | ${v.unackedStored} | ${v.missingBlob + v.badBlob} | ${v.quotaOff.length === 0 && v.uidOff === 0 ? 'ok' : 'OFF'} | ` +
    `${v.integrity} | ${imap.count}/${v.rows}, ${imap.fetchErrors} | ${v.tmpFiles}/${v.unreferencedBlobs} | ${res.avgRestartMs} ms | ${gc.temporaries} / ${gc.deleted}; ${res.gc.rowsWithoutBodyAfter}, ${res.gc.leftAfter} | ${res.ok ? 'PASS' : 'FAIL'} |`;
  if (!a['no-results']) {
    appendResults(`crash soak (${store})`, [
      `\`npm run bench -- crash --store ${store} --kills ${kills}${maxSize !== 20_500 ? ` --max-size ${maxSize}` : ""}\`: messages of 500–${maxSize} bytes, ${smtpWorkers} SMTP (MX) clients (1 in 5 messages to two recipients) and ${imapWorkers} IMAP APPEND clients, ` +
        `SIGKILL of the server's process group every ${minGap}–${maxGap} ms, restart at once. Store checked directly afterwards (${v.integrityHow}; every row's blob read back and hashed).`,
      '',
      '| store | kills | run | acked (SMTP + APPEND) | acked copies | missing | duplicated | stored, not acked | rows without body | quota/UIDs | integrity | IMAP visible/rows, fetch errors | tmp files/unreferenced blobs | restart | GC afterwards: removed tmp / blobs; rows without body, left | result |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      line,
      '',
      `Temporary SMTP answers seen: ${JSON.stringify(stats.smtpTemp)}; permanent: ${JSON.stringify(stats.smtpPerm)}; APPEND NO: ${stats.appendNo}; sessions cut by the kills: ${stats.ioErrors}, connections refused while down: ${stats.connectFails}. ` +
        `GC afterwards: the server's housekeeping (src/core/housekeeping: stale temporaries, then the blob collector run twice with no grace period) on the stopped server's store, then the store verified again. ` +
        `"Stored, not acked" are messages committed in the instant between the commit and the reply the kill prevented (the client retries; SMTP allows this duplicate window) — complete, never half-present.`,
    ]);
  }
  if (!res.ok) {
    console.error(`FAIL: ${v.missingIds.join(', ')} quota: ${v.quotaOff.join(', ')}`);
    console.error(`server dir kept: ${srv.dir}`);
    process.exitCode = 1;
  } else await srv.cleanup();
  return res;
}
