// Blob-store write errors other than a full disk, injected into the running server's real blob
// directory (the issue: "blob-store write errors: the server answers temporary failures, never loses
// acknowledged mail, and recovers by itself"). The blob directory is an ext4 filesystem on a loop
// device of its own; the SQL store stays healthy. Faults, one after the other on one server:
//  - erofs:  the blob filesystem remounted read-only (EROFS on open/rename);
//  - eio:    the loop device shrunk under the mounted filesystem, so writes of new blocks fail with
//            EIO at fsync (the kernel's "attempt to access beyond end of device"), then grown back;
//  - emfile: the server's RLIMIT_NOFILE lowered (prlimit) to what it has open, so opening a blob
//            file fails with EMFILE; then raised again.
// Not possible here: EIO through a device-mapper error/flakey target (this kernel has no device
// mapper: /dev/mapper/control is missing) and EDQUOT (the server runs as root, and root is exempt
// from disk quotas). Messages are 250 kB so they go to the file blob store even with an inline tier.
// For each fault: SMTP (MX) deliveries and IMAP APPENDs before, during and after; during the fault
// every answer must be temporary (SMTP 4xx, IMAP NO), the server must stay up, and once the fault is
// gone it must accept mail again without a restart. At the end every acknowledged message is stored
// exactly once with an intact body (bench/verify.mjs) and visible over IMAP.
//
//   npm run bench -- blob-faults [--store sqlite|postgres] [--faults emfile,erofs,eio] [--eio-mib 16] [--size 250000]
//                                [--during 6] [--no-results] [--keep]            (needs root)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendResults, dropSchema, ImapClient, makeMessage, mailstead, parseArgs, setupUsers, sleep, SmtpClient } from './lib.mjs';
import { verifyImap, verifyStore } from './verify.mjs';

function sh(cmd, args, { ok = [0] } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (!ok.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** Retries a remount that fails while a file is open for writing on that filesystem (EBUSY). */
async function remount(dir, mode) {
  for (let i = 0; ; i++) {
    const r = spawnSync('mount', ['-o', `remount,${mode}`, dir], { encoding: 'utf8' });
    if (r.status === 0) return i;
    if (i >= 100) throw new Error(`remount ${mode} ${dir}: ${r.stderr}`);
    await sleep(20);
  }
}

function openFds(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function countTmp(dir) {
  let n = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.tmp')) n++;
    }
  };
  walk(dir);
  return n;
}

export async function run(argv) {
  const a = parseArgs(argv);
  const store = a.store === 'postgres' || a.store === 'pg' ? 'postgres' : 'sqlite';
  const faults = String(a.faults ?? 'emfile,erofs,eio').split(',');
  const size = Number(a.size ?? 250_000);
  const during = Number(a.during ?? 6);
  if (process.getuid?.() !== 0) throw new Error('blob-faults needs root (loop device, mount, prlimit)');

  const dir = mkdtempSync(join(tmpdir(), 'ms-blobfault-'));
  const dataDir = join(dir, 'data');
  const blobDir = join(dataDir, 'blobs');
  mkdirSync(blobDir, { recursive: true });
  const img = join(dir, 'blobs.img');
  const imgSize = 128 * 2 ** 20;
  const eioSize = Number(a['eio-mib'] ?? 16) * 2 ** 20;
  sh('truncate', ['-s', String(imgSize), img]);
  const loop = sh('losetup', ['-f', '--show', img]);
  // No journal and errors=continue: a failed metadata write must not abort a journal and turn the
  // filesystem read-only for good (we want the server to meet EIO, then the device to come back).
  sh('mkfs.ext4', ['-q', '-F', '-O', '^has_journal', loop]);
  sh('mount', ['-o', 'errors=continue', loop, blobDir]);
  const srv = await mailstead({ store, dir, dataDir, services: ['smtp', 'imaps'], logLevel: 'warn' });
  const acked = new Map();
  const phases = [];
  let failed = false;
  try {
    await srv.start();
    await setupUsers(srv, 2);
    console.log(`blob-fault run on ${store}; blob dir ${blobDir} = ext4 on ${loop}; ${size}-byte messages`);

    let smtp = await SmtpClient.connect(srv.ports.smtp);
    await smtp.ehlo();
    const imap = await ImapClient.connect(srv.ports.imaps);
    await imap.login('user2@example.test', 'pass');

    /** One SMTP delivery (to user1) on the long session, or on a fresh one with `fresh`. */
    const sendSmtp = async (fresh = false) => {
      const msg = makeMessage({ to: 'user1@example.test', size, tag: 'fault' });
      let c = smtp;
      try {
        if (fresh) {
          c = await SmtpClient.connect(srv.ports.smtp, { timeoutMs: 15_000 });
          await c.ehlo();
        }
        const r = await c.send('load@remote.test', ['user1@example.test'], msg.raw);
        if (r.code === 250) acked.set(msg.id, ['user1']);
        else await c.cmd('RSET');
        if (fresh) await c.quit();
        return r.text.split('\n').pop();
      } catch (e) {
        c.destroy();
        if (!fresh) {
          smtp = await SmtpClient.connect(srv.ports.smtp);
          await smtp.ehlo();
        }
        return `I/O error: ${e.message}`;
      }
    };
    const sendAppend = async () => {
      const msg = makeMessage({ to: 'user2@example.test', size, tag: 'fault' });
      const r = await imap.cmd('APPEND INBOX', msg.raw);
      if (r.status === 'OK') acked.set(msg.id, ['user2']);
      return r.text;
    };
    const kind = (t) =>
      /^250 /.test(t) || / OK /.test(t)
        ? 'ok'
        : /^4\d\d /.test(t) || /^A\d+ NO /.test(t)
          ? 'temporary'
          : 'other';
    const tally = (list) => {
      const out = {};
      for (const t of list) {
        const k = /^A\d+ (\w+)( \[[A-Z-]+\])?/.exec(t)?.slice(1).join('') ?? t.slice(0, 9);
        out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    };

    // Baseline.
    for (let i = 0; i < 2; i++) {
      const r = [await sendSmtp(), await sendAppend()];
      if (r.some((t) => kind(t) !== 'ok')) throw new Error(`baseline refused: ${r.join(' | ')}`);
    }

    for (const fault of faults) {
      const ph = { fault, during: [], examples: {}, alive: true, recoveredAfterMs: -1, after: 0, note: '' };
      let restore;
      // Inject.
      if (fault === 'erofs') {
        const tries = await remount(blobDir, 'ro');
        ph.note = `mount -o remount,ro (${tries} EBUSY retries)`;
        restore = async () => void (await remount(blobDir, 'rw'));
      } else if (fault === 'eio') {
        // Shrink the device below what the filesystem has in use: new blocks lie beyond its end.
        sh('sync', []);
        sh('truncate', ['-s', String(eioSize), img]);
        sh('losetup', ['-c', loop]);
        ph.note = `loop device shrunk from ${imgSize / 2 ** 20} to ${eioSize / 2 ** 20} MiB under the mounted ext4`;
        restore = async () => {
          sh('truncate', ['-s', String(imgSize), img]);
          sh('losetup', ['-c', loop]);
        };
      } else if (fault === 'emfile') {
        const pid = srv.proc.pid;
        const before = sh('prlimit', ['--pid', String(pid), '--nofile', '--raw', '--noheadings', '--output', 'SOFT,HARD']).split(/\s+/);
        const n = openFds(pid);
        sh('prlimit', ['--pid', String(pid), `--nofile=${n}:${before[1]}`]);
        ph.note = `RLIMIT_NOFILE ${before[0]} -> ${n} (as many as it has open)`;
        restore = async () => void sh('prlimit', ['--pid', String(pid), `--nofile=${before[0]}:${before[1]}`]);
      } else throw new Error(`unknown fault ${fault}`);

      // During: the long sessions, plus (not for emfile: it cannot accept) a fresh SMTP session.
      for (let i = 0; i < during; i++) {
        ph.during.push(await sendSmtp());
        ph.during.push(await sendAppend());
      }
      if (fault !== 'emfile') ph.during.push(await sendSmtp(true));
      ph.alive = srv.proc.exitCode === null && srv.proc.signalCode === null;
      ph.tmpDuring = fault === 'erofs' || fault === 'eio' ? countTmp(blobDir) : undefined;

      // Remove the fault; no restart. Poll until a delivery is accepted, then a few more.
      await restore();
      const t0 = Date.now();
      for (let i = 0; i < 100; i++) {
        if (kind(await sendSmtp()) === 'ok') {
          ph.recoveredAfterMs = Date.now() - t0;
          break;
        }
        await sleep(200);
      }
      for (let i = 0; i < 3; i++) {
        if (kind(await sendSmtp()) === 'ok' && kind(await sendAppend()) === 'ok') ph.after++;
      }
      ph.kinds = tally(ph.during);
      for (const t of ph.during) ph.examples[kind(t)] ??= t;
      ph.ok =
        ph.alive &&
        ph.during.every((t) => kind(t) !== 'other') &&
        ph.during.some((t) => kind(t) === 'temporary') &&
        ph.recoveredAfterMs >= 0 &&
        ph.after === 3;
      failed ||= !ph.ok;
      phases.push(ph);
      console.log(`${fault}: ${ph.note}; during ${JSON.stringify(ph.kinds)}; alive ${ph.alive}; recovered after ${ph.recoveredAfterMs} ms, then ${ph.after}/3 pairs — ${ph.ok ? 'ok' : 'FAIL'}`);
    }
    await smtp.quit();
    await imap.logout();
    const seen = await verifyImap(srv.ports.imaps, ['user1', 'user2']);
    await srv.stop();
    const v = await verifyStore(srv, acked);
    const tmpLeft = countTmp(blobDir);
    const log = readFileSync(join(dir, 'server.log'), 'utf8');
    const logErrors = log.split('\n').filter((l) => /"level":(50|60)/.test(l));
    const ok = !failed && v.ok && seen.fetchErrors === 0 && seen.count === v.rows;
    console.log(
      `afterwards: ${v.ackedCopies} acknowledged, ${v.missing} missing, ${v.duplicated} duplicated, ${v.missingBlob + v.badBlob} rows without intact body, ` +
        `quota ${v.quotaOff.length ? 'OFF' : 'ok'}, integrity ${v.integrity}, IMAP ${seen.count}/${v.rows} visible, ${seen.fetchErrors} fetch errors, ` +
        `${tmpLeft} .tmp files, ${v.unreferencedBlobs} unreferenced blobs; server log: ${logErrors.length} error lines — ${ok ? 'PASS' : 'FAIL'}`,
    );
    if (!a['no-results']) {
      appendResults(`blob-store write faults (${store})`, [
        `\`npm run bench -- blob-faults --store ${store} --faults ${faults.join(',')}\`: the blob directory is an ext4 filesystem on a loop device; ` +
          `one SMTP (MX) session and one IMAP session deliver ${size}-byte messages before, during (${during} SMTP + ${during} APPEND, plus a fresh SMTP session) and after each fault, without restarting the server. ` +
          'Not injectable on this VM: EIO through a device-mapper `error`/`flakey` target (no device mapper in this kernel: `/dev/mapper/control` missing) and EDQUOT (the server runs as root, exempt from quotas).',
        '',
        '| fault | how | answers during the fault | server up | first 250 after | then accepted (SMTP + APPEND pairs) | result |',
        '|---|---|---|---|---|---|---|',
        ...phases.map(
          (p) =>
            `| ${p.fault} | ${p.note} | ${Object.entries(p.kinds)
              .map(([k, n]) => `${k} ×${n}`)
              .join(', ')} | ${p.alive} | ${p.recoveredAfterMs} ms | ${p.after}/3 | ${p.ok ? 'ok' : 'FAIL'} |`,
        ),
        '',
        `Replies seen: ${[...new Set(phases.flatMap((p) => Object.values(p.examples)))].map((t) => `\`${t.slice(0, 120)}\``).join('; ')}`,
        '',
        `Afterwards: ${v.ackedCopies} acknowledged, ${v.missing} missing, ${v.duplicated} duplicated, ${v.missingBlob + v.badBlob} rows without an intact body, quota ${v.quotaOff.length ? 'OFF' : 'consistent'}, ` +
          `integrity ${v.integrity}, IMAP ${seen.count}/${v.rows} visible, ${seen.fetchErrors} fetch errors; ${tmpLeft} \`.tmp\` files and ${v.unreferencedBlobs} unreferenced blobs left in the blob directory; ` +
          `${logErrors.length} error lines in the server log — **${ok ? 'PASS' : 'FAIL'}**`,
      ]);
    }
    if (!ok) process.exitCode = 1;
    return { phases, v, seen, ok };
  } catch (e) {
    process.exitCode = 1;
    throw e;
  } finally {
    await srv.kill();
    await dropSchema(srv.schema);
    spawnSync('umount', ['-l', blobDir]);
    spawnSync('losetup', ['-d', loop]);
    if (!process.exitCode && !a.keep) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept: ${dir}`);
  }
}
