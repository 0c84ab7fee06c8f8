// Full disk: the data directory is a small tmpfs (20 MB). Mail is delivered over SMTP and IMAP
// APPEND while the disk fills up, then while it is completely full; the server must answer
// temporary failures (SMTP 4xx, ideally 452 4.3.1; IMAP NO), keep running, lose nothing it
// acknowledged, and accept mail again by itself once space returns (no restart).
//
//   npm run bench -- disk [--store sqlite|postgres] [--size 20m]      (needs root for mount)
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResults, dropSchema, ImapClient, makeMessage, mailstead, parseArgs, setupUsers, sleep, SmtpClient } from './lib.mjs';
import { verifyImap, verifyStore } from './verify.mjs';

/** Writes filler files until the filesystem refuses (ENOSPC), leaving about `leave` bytes free. */
function fill(dir, name, leave = 0) {
  const path = join(dir, name);
  const fd = openSync(path, 'a');
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let written = 0;
  try {
    for (;;) {
      const s = statfsSync(dir);
      const free = s.bavail * s.bsize;
      if (free <= leave) break;
      const n = Math.min(chunk.length, Math.max(4096, free - leave));
      try {
        written += writeSync(fd, chunk, 0, n);
      } catch (e) {
        if (e.code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

function freeBytes(dir) {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export async function run(argv) {
  const a = parseArgs(argv);
  const store = a.store === 'postgres' || a.store === 'pg' ? 'postgres' : 'sqlite';
  const size = a.size ?? '20m';
  const dir = mkdtempSync(join(tmpdir(), 'ms-disk-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dataDir], { encoding: 'utf8' });
  if (m.status !== 0) throw new Error(`mount tmpfs failed (root needed): ${m.stderr}`);
  const srv = await mailstead({ store, dir, dataDir, services: ['smtp', 'imaps'] });
  const acked = new Map();
  const answers = { filling: {}, full: {}, recovered: {} };
  const examples = {};
  const bump = (phase, k, text) => {
    answers[phase][k] = (answers[phase][k] ?? 0) + 1;
    examples[k] ??= text;
  };
  let pids = new Set();
  try {
    await srv.start();
    pids.add(srv.proc.pid);
    await setupUsers(srv, 2);
    console.log(`full-disk run on ${store}, data dir ${dataDir} (tmpfs ${size}), free ${freeBytes(dataDir)} bytes`);

    const smtp = await SmtpClient.connect(srv.ports.smtp);
    await smtp.ehlo();
    const imap = await ImapClient.connect(srv.ports.imaps);
    await imap.login('user2@example.test', 'pass');

    const sendSmtp = async (phase, bytes) => {
      const msg = makeMessage({ to: 'user1@example.test', size: bytes, tag: 'disk' });
      const r = await smtp.send('load@remote.test', ['user1@example.test'], msg.raw);
      if (r.code === 250) acked.set(msg.id, ['user1']);
      else await smtp.cmd('RSET');
      bump(phase, `SMTP ${r.text.split('\n').pop().slice(0, 9).trim()}`, r.text.split('\n').pop());
      return r;
    };
    const sendAppend = async (phase, bytes) => {
      const msg = makeMessage({ to: 'user2@example.test', size: bytes, tag: 'disk' });
      const r = await imap.cmd('APPEND INBOX', msg.raw);
      if (r.status === 'OK') acked.set(msg.id, ['user2']);
      const why = /\[([A-Z-]+)\]/.exec(r.text)?.[1];
      bump(phase, `APPEND ${r.status}${why ? ` [${why}]` : ''}`, r.text);
      return r;
    };

    // 1. Filling up: 3 MB left, 150 kB messages until ten in a row are refused.
    fill(dataDir, 'filler-1', 3 * 2 ** 20);
    let refusedInRow = 0;
    for (let i = 0; i < 200 && refusedInRow < 10; i++) {
      const r = i % 3 === 2 ? await sendAppend('filling', 150_000) : await sendSmtp('filling', 150_000);
      const ok = r.code === 250 || r.status === 'OK';
      refusedInRow = ok ? 0 : refusedInRow + 1;
    }
    // 2. Completely full (not one block left): small messages, a new session, reads.
    fill(dataDir, 'filler-2', 0);
    for (let i = 0; i < 10; i++) {
      await sendSmtp('full', 400);
      await sendAppend('full', 400);
    }
    let freshSession = 'ok';
    try {
      const c = await SmtpClient.connect(srv.ports.smtp, { timeoutMs: 10_000 });
      await c.ehlo();
      const r = await c.send('load@remote.test', ['user1@example.test'], makeMessage({ size: 300 }).raw);
      freshSession = `new SMTP session answered ${r.text.split('\n').pop().slice(0, 9)}`;
      await c.quit();
    } catch (e) {
      freshSession = `new SMTP session failed: ${e.message}`;
    }
    let readWhileFull = 'ok';
    try {
      const c = await ImapClient.connect(srv.ports.imaps, { timeoutMs: 10_000 });
      const l = await c.cmd('LOGIN "user1@example.test" "pass"');
      const s = l.status === 'OK' ? await c.cmd('SELECT INBOX') : l;
      const f = s.status === 'OK' ? await c.cmd('FETCH 1 (BODY.PEEK[HEADER])') : s;
      readWhileFull = `LOGIN ${l.status}, SELECT ${s.status}${s.status === 'OK' ? '' : ` (${s.text})`}, FETCH ${f.status}`;
      await c.logout();
    } catch (e) {
      readWhileFull = `failed: ${e.message}`;
    }
    const aliveWhileFull = srv.proc.exitCode === null && srv.proc.signalCode === null;

    // 3. Space returns: no restart; the first accepted message and then twenty more.
    rmSync(join(dataDir, 'filler-1'));
    rmSync(join(dataDir, 'filler-2'));
    const t0 = Date.now();
    let recoveredAfter = -1;
    for (let i = 0; i < 100; i++) {
      const r = await sendSmtp('recovered', 2000);
      if (r.code === 250) {
        recoveredAfter = Date.now() - t0;
        break;
      }
      await sleep(100);
    }
    let recoveredOk = 0;
    for (let i = 0; i < 20; i++) {
      const r1 = await sendSmtp('recovered', 5000);
      const r2 = await sendAppend('recovered', 5000);
      if (r1.code === 250 && r2.status === 'OK') recoveredOk++;
    }
    await smtp.quit();
    await imap.logout();
    const alive = srv.proc.exitCode === null && srv.proc.signalCode === null;

    const seen = await verifyImap(srv.ports.imaps, ['user1', 'user2']);
    await srv.stop();
    const v = await verifyStore(srv, acked);
    const res = {
      store,
      answers,
      examples,
      freshSession,
      readWhileFull,
      aliveWhileFull,
      aliveAtEnd: alive,
      restarts: srv.starts - 1,
      recoveredAfterMs: recoveredAfter,
      recoveredOk: `${recoveredOk}/20`,
      acked: v.ackedCopies,
      missing: v.missing,
      duplicated: v.duplicated,
      rowsWithoutBody: v.missingBlob + v.badBlob,
      quotaOff: v.quotaOff,
      integrity: v.integrity,
      imapVisible: `${seen.count}/${v.rows}`,
      imapFetchErrors: seen.fetchErrors,
    };
    const tempOnly = Object.entries({ ...answers.filling, ...answers.full }).every(
      ([k]) => /SMTP (250|4)/.test(k) || /APPEND (OK|NO)/.test(k),
    );
    res.ok = v.ok && alive && aliveWhileFull && recoveredAfter >= 0 && recoveredOk === 20 && tempOnly && seen.fetchErrors === 0;
    console.log(JSON.stringify(res, null, 2));
    const fmtAnswers = (o) =>
      Object.entries(o)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ');
    if (!a['no-results']) {
      appendResults(`full disk (${store})`, [
        `\`npm run bench -- disk --store ${store}\`: data directory on a ${size} tmpfs${store === 'postgres' ? ' (blobs, TLS material; the database is PostgreSQL elsewhere)' : ' (SQLite database, WAL and blobs)'}. ` +
          `One SMTP (MX) session and one IMAP session deliver 150 kB messages while the disk fills, then 400-byte messages with not one block free, then space is freed without a restart.`,
        '',
        `- while filling: ${fmtAnswers(answers.filling)}`,
        `- completely full: ${fmtAnswers(answers.full)}; ${freshSession}; a reader: ${readWhileFull}; server alive: ${aliveWhileFull}`,
        `- space back: first 250 after ${recoveredAfter} ms, then ${recoveredOk}/20 SMTP + APPEND pairs accepted; restarts needed: ${srv.starts - 1}`,
        `- replies seen: ${Object.values(examples).map((t) => `\`${t}\``).join('; ')}`,
        `- afterwards: ${v.ackedCopies} acknowledged, ${v.missing} missing, ${v.duplicated} duplicated, ${v.missingBlob + v.badBlob} rows without body, quota ${v.quotaOff.length ? 'OFF' : 'consistent'}, integrity ${v.integrity}, IMAP ${seen.count}/${v.rows} visible, ${seen.fetchErrors} fetch errors — **${res.ok ? 'PASS' : 'FAIL'}**`,
      ]);
    }
    if (!res.ok) process.exitCode = 1;
    return res;
  } finally {
    await srv.kill();
    await dropSchema(srv.schema);
    spawnSync('umount', [dataDir]);
    if (!process.exitCode && !a.keep) rmSync(dir, { recursive: true, force: true });
    pids = undefined;
  }
}
