// The outbound queue end to end on both engines: enqueue -> lease -> a real SMTP session to a
// fake MX on loopback (found through a test DNS) -> the row's fate, with the clock moved by hand
// for backoff, delay notices and expiry. Local senders get their notices through deliverLocal.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { ENGINES, engineAvailable, makeCore, type TestCore } from '../../../test/kit/core.js';
import { startTestDns, type TestDns } from '../../../test/kit/dns-server.js';
import { createResolver } from '../dns/resolver.js';
import { MailError } from '../errors.js';
import * as admin from '../directory/admin.js';
import { createOutboundTransport } from '../../smtp/outbound/mx-transport.js';
import { startFakeMx, type FakeMx } from '../../smtp/outbound/test-kit.js';
import { parseMessage, rawBody, type MimePart } from '../../mime/parse.js';
import { openStore } from '../../store/open.js';
import { enqueue } from './enqueue.js';
import { srsForward } from './srs.js';
import { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker.js';
import type { Dialect, QueueItem } from '../../store/ports.js';
import type { Core } from '../context.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

interface Local {
  sender: string;
  recipient: string;
  raw: Buffer;
}

interface Env {
  tc: TestCore;
  core: Core;
  dns: TestDns;
  mx: FakeMx;
  clock: { now: number };
  local: Local[];
  /** Makes deliverLocal refuse a recipient. */
  refuseLocal: Map<string, MailError>;
  worker(o?: Partial<QueueWorkerOptions>, core?: Core): QueueWorker;
  rows(envelopeId: string): Promise<QueueItem[]>;
  close(): Promise<void>;
}

function message(from: string, to: string, subject: string): Buffer {
  return Buffer.from(
    `From: Alice <${from}>\r\nTo: <${to}>\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@ours.test>\r\n` +
      `Date: Thu, 01 Jan 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n` +
      `Hello there,\r\nthis is ${subject}.\r\n`,
  );
}

async function setup(kind: Dialect): Promise<Env> {
  const clock = { now: Date.now() };
  const tc = await makeCore(kind, { now: () => clock.now });
  const core = tc.core;
  const domain = await admin.addDomain(core, 'ours.test');
  await admin.addAddress(core, 'alice@ours.test', { password: 'pw-alice-1' });
  const mx = await startFakeMx();
  const dns = await startTestDns({
    'remote.test': { MX: [{ priority: 10, exchange: 'mx.remote.test' }] },
    'mx.remote.test': { A: ['127.0.0.1'] },
    [`${domain.dkimSelector}._domainkey.ours.test`]: { TXT: [`v=DKIM1; k=rsa; p=${domain.dkimPublicKey}`] },
  });
  const resolve = createResolver([dns.server], { timeoutMs: 1000, tries: 1 });
  const transport = createOutboundTransport({
    resolve,
    heloName: 'mx.test',
    port: mx.port,
    connectTimeoutMs: 2000,
    greetingTimeoutMs: 5000,
    socketTimeoutMs: 10_000,
  });
  const local: Local[] = [];
  const refuseLocal = new Map<string, MailError>();
  const workers: QueueWorker[] = [];
  const extraStores: Core[] = [];
  return {
    tc,
    core,
    dns,
    mx,
    clock,
    local,
    refuseLocal,
    worker(o = {}, on = core) {
      if (on !== core) extraStores.push(on);
      const w = startQueueWorker(on, {
        transport,
        deliverLocal: async (sender, recipient, raw) => {
          const refusal = refuseLocal.get(recipient);
          if (refusal) throw refusal;
          local.push({ sender, recipient, raw });
        },
        lifetimeMs: 5 * DAY,
        delayNoticeMs: 4 * HOUR,
        pollMs: HOUR,
        owner: 'worker-1',
        ...o,
      });
      workers.push(w);
      return w;
    },
    async rows(envelopeId) {
      return (await core.store.queue.list()).filter((r) => r.envelopeId === envelopeId);
    },
    async close() {
      for (const w of workers) await w.stop();
      for (const c of extraStores) await c.store.close();
      await mx.close();
      await dns.close();
      await tc.close();
    },
  };
}

/** The parts of a DSN, checked against RFC 3464/6522's shape. */
function dsnParts(raw: Buffer): { report: string; human: string; returned: MimePart; top: MimePart } {
  const top = parseMessage(raw);
  assert.equal(`${top.contentType.type}/${top.contentType.subtype}`, 'multipart/report');
  assert.equal(top.contentType.params['report-type'], 'delivery-status');
  assert.equal(top.children.length, 3);
  const [human, status, returned] = top.children as [MimePart, MimePart, MimePart];
  assert.equal(`${human.contentType.type}/${human.contentType.subtype}`, 'text/plain');
  assert.equal(`${status.contentType.type}/${status.contentType.subtype}`, 'message/delivery-status');
  return {
    top,
    human: Buffer.from(rawBody(raw, human)).toString('utf8'),
    report: Buffer.from(rawBody(raw, status)).toString('utf8'),
    returned,
  };
}

function field(block: string, name: string): string[] {
  return block
    .split(/\r?\n/)
    .filter((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))
    .map((l) => l.slice(name.length + 1).trim());
}

async function logEvents(core: Core, address: string): Promise<string[]> {
  const entries = await core.store.mailLog.query({ address });
  return entries.sort((a, b) => a.id - b.id).map((e) => `${e.event} ${String(e.detail['recipient'] ?? '')}`);
}

for (const kind of ENGINES) {
  const suite = (name: string, fn: (env: Env, t: TestContext) => Promise<void>) =>
    test(`${name} (${kind})`, async (t) => {
      if (!(await engineAvailable(t, kind))) return;
      const env = await setup(kind);
      try {
        await fn(env, t);
      } finally {
        await env.close();
      }
    });

  suite('remote recipients go out through the MX, DKIM-signed, one transaction per domain', async (env) => {
    const { core, mx } = env;
    const id = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['bob@remote.test', 'carol@remote.test'],
      raw: message('alice@ours.test', 'bob@remote.test', 'first message'),
    });
    const queued = await env.rows(id);
    assert.equal(queued.length, 2);
    assert.ok(queued.every((r) => r.status === 'queued' && r.domain === 'remote.test'));
    assert.ok(await core.store.blobs.has(queued[0]!.blobHash), 'the blob is stored before the rows');

    const n = await env.worker().runOnce();
    assert.equal(n, 2);
    assert.equal(mx.received.length, 1);
    const got = mx.received[0]!;
    assert.deepEqual(got.to, ['bob@remote.test', 'carol@remote.test']);
    assert.equal(got.from, 'alice@ours.test');
    assert.ok(got.secure, 'STARTTLS was used');
    const done = await env.rows(id);
    assert.deepEqual(
      done.map((r) => [r.status, r.attempts, r.leaseOwner]),
      [
        ['delivered', 1, null],
        ['delivered', 1, null],
      ],
    );

    const v = await dkimVerify(got.raw, {
      resolver: createResolver([env.dns.server]) as never,
      curTime: new Date(env.clock.now),
    });
    const sig = v.results[0];
    assert.ok(sig, 'signed');
    assert.equal(sig.signingDomain, 'ours.test');
    assert.equal(sig.status.result, 'pass', JSON.stringify(sig.status));

    assert.deepEqual(await logEvents(core, 'alice@ours.test'), [
      'queued bob@remote.test',
      'queued carol@remote.test',
      'sent bob@remote.test',
      'sent carol@remote.test',
    ]);
  });

  suite('local recipients short-circuit to local delivery; unknown ones bounce', async (env) => {
    const { core, mx, local } = env;
    const id = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['alice@ours.test', 'nobody@ours.test', 'bob@remote.test'],
      raw: message('alice@ours.test', 'bob@remote.test', 'mixed'),
    });
    await env.worker().runOnce();
    assert.deepEqual(
      mx.received.map((m) => m.to),
      [['bob@remote.test']],
      'only the remote one reaches the MX',
    );
    const byRcpt = Object.fromEntries((await env.rows(id)).map((r) => [r.recipient, r.status]));
    assert.deepEqual(byRcpt, {
      'alice@ours.test': 'delivered',
      'nobody@ours.test': 'failed',
      'bob@remote.test': 'delivered',
    });
    // the copy for alice, then the bounce about nobody@, also to alice, from the null sender
    assert.equal(local.length, 2);
    assert.deepEqual([local[0]!.sender, local[0]!.recipient], ['alice@ours.test', 'alice@ours.test']);
    assert.deepEqual([local[1]!.sender, local[1]!.recipient], ['', 'alice@ours.test']);
    const { report } = dsnParts(local[1]!.raw);
    assert.deepEqual(field(report, 'Final-Recipient'), ['rfc822; nobody@ours.test']);
    assert.deepEqual(field(report, 'Status'), ['5.1.1']);
  });

  suite('a 4xx reply defers with backoff, and the retry delivers', async (env) => {
    const { core, mx, clock } = env;
    mx.rcpt = () => ({ code: 451, message: '4.7.1 greylisted, try again later' });
    const id = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['slow@remote.test'],
      raw: message('alice@ours.test', 'slow@remote.test', 'greylisted'),
    });
    const w = env.worker();
    await w.runOnce();
    let [row] = await env.rows(id);
    assert.equal(row!.status, 'queued');
    assert.equal(row!.attempts, 1);
    assert.equal(row!.nextAttemptAt, clock.now + 1 * MIN, 'first retry after a minute');
    assert.match(row!.lastError ?? '', /^451 4\.7\.1 greylisted/);
    assert.equal(await w.runOnce(), 0, 'not due yet');

    clock.now += 1 * MIN;
    await w.runOnce();
    [row] = await env.rows(id);
    assert.equal(row!.attempts, 2);
    assert.equal(row!.nextAttemptAt, clock.now + 5 * MIN, 'the wait grows');

    mx.rcpt = () => undefined;
    clock.now += 5 * MIN;
    await w.runOnce();
    [row] = await env.rows(id);
    assert.deepEqual([row!.status, row!.attempts], ['delivered', 3]);
    assert.equal(mx.received.length, 1);
    assert.equal(env.local.length, 0, 'no notice for a short delay');
    assert.deepEqual(await logEvents(core, 'alice@ours.test'), [
      'queued slow@remote.test',
      'deferred slow@remote.test',
      'deferred slow@remote.test',
      'sent slow@remote.test',
    ]);
  });

  suite('a 5xx reply bounces: an RFC 3464 report to the sender, with the original', async (env) => {
    const { core, mx, local } = env;
    mx.rcpt = (a) =>
      a === 'gone@remote.test' ? { code: 550, message: '5.1.1 <gone@remote.test>: no such user' } : undefined;
    const original = message('alice@ours.test', 'gone@remote.test', 'to a missing user');
    const id = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['gone@remote.test', 'bob@remote.test'],
      raw: original,
      meta: { dsn: { envid: 'ENV-42', orcpt: { 'gone@remote.test': 'rfc822;Gone@Remote.test' } } },
    });
    await env.worker().runOnce();
    const rows = Object.fromEntries((await env.rows(id)).map((r) => [r.recipient, r]));
    assert.equal(rows['gone@remote.test']!.status, 'failed');
    assert.equal(rows['bob@remote.test']!.status, 'delivered');

    const bounces = (await core.store.queue.list()).filter((r) => r.envelopeId !== id);
    assert.equal(bounces.length, 1);
    assert.deepEqual(
      [bounces[0]!.sender, bounces[0]!.recipient, bounces[0]!.meta['kind']],
      ['', 'alice@ours.test', 'bounce'],
    );
    assert.equal(local.length, 1, 'the bounce went through local delivery');
    const dsn = local[0]!;
    assert.equal(dsn.sender, '', 'a bounce has the null sender');
    const head = dsn.raw.subarray(0, dsn.raw.indexOf('\r\n\r\n')).toString();
    assert.match(head, /^From: Mail Delivery System <MAILER-DAEMON@mx\.test>/m);
    assert.match(head, /^To: <alice@ours\.test>/m);
    assert.match(head, /^Auto-Submitted: auto-replied/m);
    const { report, human, returned } = dsnParts(dsn.raw);
    assert.match(human, /gone@remote\.test/);
    const [perMessage, perRecipient] = report.split(/\r\n\r\n/) as [string, string];
    assert.deepEqual(field(perMessage, 'Reporting-MTA'), ['dns; mx.test']);
    assert.deepEqual(field(perMessage, 'Original-Envelope-Id'), ['ENV-42']);
    assert.equal(field(perMessage, 'Arrival-Date').length, 1);
    assert.deepEqual(field(perRecipient, 'Original-Recipient'), ['rfc822;Gone@Remote.test']);
    assert.deepEqual(field(perRecipient, 'Final-Recipient'), ['rfc822; gone@remote.test']);
    assert.deepEqual(field(perRecipient, 'Action'), ['failed']);
    assert.deepEqual(field(perRecipient, 'Status'), ['5.1.1']);
    assert.deepEqual(field(perRecipient, 'Remote-MTA'), ['dns; mx.remote.test']);
    assert.deepEqual(field(perRecipient, 'Diagnostic-Code'), [
      'smtp; 550 5.1.1 <gone@remote.test>: no such user',
    ]);
    assert.equal(`${returned.contentType.type}/${returned.contentType.subtype}`, 'message/rfc822');
    assert.ok(dsn.raw.includes('Subject: to a missing user'), 'the original comes back');
    assert.ok((await logEvents(core, 'alice@ours.test')).includes('bounced gone@remote.test'));
  });

  suite('one delay notice after the threshold, then a bounce at expiry', async (env) => {
    const { core, mx, clock, local } = env;
    mx.rcpt = () => ({ code: 452, message: '4.2.2 mailbox full' });
    const start = clock.now;
    const id = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['full@remote.test'],
      raw: message('alice@ours.test', 'full@remote.test', 'to a full mailbox'),
    });
    const w = env.worker();
    await w.runOnce();
    assert.equal(local.length, 0);

    clock.now = start + 4 * HOUR + MIN;
    await w.runOnce();
    assert.equal(local.length, 1, 'one delay notice');
    let [row] = await env.rows(id);
    assert.equal(row!.delayNotified, true);
    assert.equal(row!.status, 'queued');
    const delay = dsnParts(local[0]!.raw);
    assert.match(local[0]!.raw.toString(), /^Subject: Delayed Mail/m);
    assert.deepEqual(field(delay.report, 'Action'), ['delayed']);
    assert.deepEqual(field(delay.report, 'Status'), ['4.2.2']);
    assert.equal(field(delay.report, 'Will-Retry-Until').length, 1);
    assert.equal(
      `${delay.returned.contentType.type}/${delay.returned.contentType.subtype}`,
      'text/rfc822-headers',
    );

    clock.now = start + 9 * HOUR;
    await w.runOnce();
    assert.equal(local.length, 1, 'never a second delay notice');

    clock.now = start + 5 * DAY + MIN;
    await w.runOnce();
    [row] = await env.rows(id);
    assert.equal(row!.status, 'failed');
    assert.equal(local.length, 2, 'expiry bounces');
    const bounce = dsnParts(local[1]!.raw);
    assert.deepEqual(field(bounce.report, 'Action'), ['failed']);
    assert.deepEqual(field(bounce.report, 'Status'), ['4.4.7']);
    assert.match(field(bounce.report, 'Diagnostic-Code')[0] ?? '', /452 4\.2\.2 mailbox full/);
  });

  suite('never a notice to the null sender, nor against NOTIFY=NEVER', async (env) => {
    const { core, mx, clock, local } = env;
    mx.rcpt = (a) =>
      a.startsWith('gone')
        ? { code: 550, message: '5.1.1 no such user' }
        : { code: 450, message: '4.2.1 later' };
    const start = clock.now;
    const a = await enqueue(core, {
      sender: '',
      recipients: ['gone@remote.test', 'late@remote.test'],
      raw: message('mailer-daemon@ours.test', 'gone@remote.test', 'a bounce itself'),
    });
    const b = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['gone@remote.test'],
      raw: message('alice@ours.test', 'gone@remote.test', 'quiet please'),
      meta: { dsn: { notify: ['NEVER'] } },
    });
    const w = env.worker();
    await w.runOnce();
    clock.now = start + 5 * HOUR;
    await w.runOnce();
    clock.now = start + 6 * DAY;
    await w.runOnce();
    const all = await core.store.queue.list();
    assert.deepEqual(all.map((r) => r.envelopeId).sort(), [a, a, b].sort(), 'no notice was queued');
    assert.ok(all.every((r) => r.status === 'failed'));
    assert.equal(local.length, 0);
  });

  suite('two workers with different owners never deliver the same row twice', async (env) => {
    const { core, mx } = env;
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      ids.push(
        await enqueue(core, {
          sender: 'alice@ours.test',
          recipients: [`r${i}a@remote.test`, `r${i}b@remote.test`],
          raw: message('alice@ours.test', `r${i}a@remote.test`, `parallel ${i}`),
        }),
      );
    }
    // the second worker has its own store handle, like another server process
    const other = await openStore(env.tc.storeOptions);
    const core2: Core = { ...core, store: other };
    const w1 = env.worker({ owner: 'worker-1', batchSize: 3 });
    const w2 = env.worker({ owner: 'worker-2', batchSize: 3 }, core2);
    await Promise.all([w1.runOnce(), w2.runOnce(), w1.runOnce(), w2.runOnce()]);
    const counts = new Map<string, number>();
    for (const m of mx.received) for (const r of m.to) counts.set(r, (counts.get(r) ?? 0) + 1);
    assert.equal(counts.size, 24, 'every recipient delivered');
    assert.ok(
      [...counts.values()].every((c) => c === 1),
      `exactly once: ${JSON.stringify([...counts])}`,
    );
    const rows = await core.store.queue.list();
    assert.ok(rows.every((r) => r.status === 'delivered' && r.attempts === 1));
  });

  suite('a temporary local refusal is retried, a permanent one bounces', async (env) => {
    const { core, clock, local } = env;
    await admin.addAddress(core, 'bob@ours.test', { password: 'pw-bob-12' });
    env.refuseLocal.set('bob@ours.test', new MailError('OVER_QUOTA', 'mailbox full', true));
    const id = await enqueue(core, {
      sender: 'alice@ours.test',
      recipients: ['bob@ours.test'],
      raw: message('alice@ours.test', 'bob@ours.test', 'to bob'),
    });
    const w = env.worker();
    await w.runOnce();
    let [row] = await env.rows(id);
    assert.deepEqual([row!.status, row!.attempts], ['queued', 1]);
    assert.match(row!.lastError ?? '', /^452 4\.2\.2/);
    env.refuseLocal.set('bob@ours.test', new MailError('PERMISSION_DENIED', 'refused by policy'));
    clock.now += 2 * MIN;
    await w.runOnce();
    [row] = await env.rows(id);
    assert.equal(row!.status, 'failed');
    assert.equal(local.length, 1);
    assert.equal(local[0]!.recipient, 'alice@ours.test');
  });

  suite('forwarded mail (SRS sender) bounces to the original sender', async (env) => {
    const { core, mx } = env;
    mx.rcpt = (a) => (a === 'gone@remote.test' ? { code: 550, message: '5.1.1 no such user' } : undefined);
    const srs = { secret: 'srs-test-secret', domain: 'mx.test', now: env.clock.now };
    const sender = srsForward('ext@remote.test', srs);
    const id = await enqueue(core, {
      sender,
      recipients: ['gone@remote.test'],
      raw: message('ext@remote.test', 'alice@ours.test', 'forwarded'),
      meta: { kind: 'forward', from: 'alice@ours.test' },
    });
    await env.worker({ srs }).runOnce();
    const notices = (await core.store.queue.list()).filter((r) => r.envelopeId !== id);
    assert.deepEqual(
      notices.map((r) => [r.sender, r.recipient]),
      [['', 'ext@remote.test']],
    );
    assert.equal(mx.received.length, 1, "the bounce itself went out to the original sender's MX");
    assert.equal(mx.received[0]!.from, '');
    assert.deepEqual(mx.received[0]!.to, ['ext@remote.test']);
    assert.ok(
      (await logEvents(core, 'alice@ours.test')).includes('bounced gone@remote.test'),
      'logged for the forwarder',
    );
  });
}
