// The outbound transport against real SMTP servers on loopback, with MX records from a test DNS:
// host order and fallback, per-recipient verdicts from the remote's replies, opportunistic
// STARTTLS, null MX, unknown domains and the smarthost with AUTH.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createResolver } from '../../core/dns/resolver.js';
import { startTestDns, type TestDns } from '../../../test/kit/dns-server.js';
import { createOutboundTransport } from './mx-transport.js';
import { parseSmarthost } from './from-config.js';
import { startFakeMx, type FakeMx } from './test-kit.js';

const MSG = Buffer.from('From: a@ours.test\r\nTo: b@remote.test\r\nSubject: hi\r\n\r\nhello\r\n');

async function setup(): Promise<{ dns: TestDns; mx: FakeMx; close(): Promise<void> }> {
  const mx = await startFakeMx();
  const dns = await startTestDns({
    'remote.test': { MX: [{ priority: 10, exchange: 'mx.remote.test' }] },
    'mx.remote.test': { A: ['127.0.0.1'] },
    // the better MX is down (nothing listens on 127.0.0.2): the next one must be tried
    'fallback.test': {
      MX: [
        { priority: 20, exchange: 'mx.remote.test' },
        { priority: 5, exchange: 'down.fallback.test' },
      ],
    },
    'down.fallback.test': { A: ['127.0.0.2'] },
    'implicit.test': { A: ['127.0.0.1'] },
    'nullmx.test': { MX: [{ priority: 0, exchange: '.' }] },
    'dead.test': { MX: [{ priority: 10, exchange: 'down.fallback.test' }] },
  });
  return {
    dns,
    mx,
    async close() {
      await mx.close();
      await dns.close();
    },
  };
}

function transport(dns: TestDns, port: number) {
  return createOutboundTransport({
    resolve: createResolver([dns.server], { timeoutMs: 1000, tries: 1 }),
    heloName: 'out.ours.test',
    port,
    connectTimeoutMs: 2000,
    greetingTimeoutMs: 5000,
    socketTimeoutMs: 10_000,
  });
}

test('delivers to the MX over STARTTLS, one transaction for the domain', async () => {
  const s = await setup();
  try {
    const r = await transport(s.dns, s.mx.port).deliver(
      'remote.test',
      'a@ours.test',
      ['b@remote.test', 'c@remote.test'],
      MSG,
    );
    assert.deepEqual(
      r.map((x) => [x.recipient, x.status, x.code]),
      [
        ['b@remote.test', 'sent', 250],
        ['c@remote.test', 'sent', 250],
      ],
    );
    assert.equal(r[0]!.remoteMta, 'mx.remote.test');
    assert.equal(s.mx.received.length, 1);
    const got = s.mx.received[0]!;
    assert.equal(got.from, 'a@ours.test');
    assert.deepEqual(got.to, ['b@remote.test', 'c@remote.test']);
    assert.equal(got.secure, true, 'opportunistic STARTTLS was used');
    assert.ok(got.raw.toString().includes('hello'));
  } finally {
    await s.close();
  }
});

test('per-recipient verdicts: 2xx sent, 4xx temp, 5xx perm', async () => {
  const s = await setup();
  s.mx.rcpt = (a) =>
    a.startsWith('busy')
      ? { code: 450, message: '4.2.1 mailbox busy' }
      : a.startsWith('gone')
        ? { code: 550, message: '5.1.1 no such user' }
        : undefined;
  try {
    const r = await transport(s.dns, s.mx.port).deliver(
      'remote.test',
      'a@ours.test',
      ['ok@remote.test', 'busy@remote.test', 'gone@remote.test'],
      MSG,
    );
    assert.deepEqual(
      r.map((x) => [x.recipient, x.status, x.code]),
      [
        ['ok@remote.test', 'sent', 250],
        ['busy@remote.test', 'temp', 450],
        ['gone@remote.test', 'perm', 550],
      ],
    );
    assert.match(r[2]!.text, /^550 5\.1\.1 no such user/);
    assert.deepEqual(s.mx.received[0]!.to, ['ok@remote.test']);

    // every recipient refused: still one verdict each
    const all = await transport(s.dns, s.mx.port).deliver(
      'remote.test',
      'a@ours.test',
      ['busy@remote.test', 'gone@remote.test'],
      MSG,
    );
    assert.deepEqual(
      all.map((x) => [x.status, x.code]),
      [
        ['temp', 450],
        ['perm', 550],
      ],
    );
  } finally {
    await s.close();
  }
});

test('a refusal at the end of DATA judges every accepted recipient', async () => {
  const s = await setup();
  s.mx.data = () => ({ code: 554, message: '5.6.0 content rejected' });
  try {
    const r = await transport(s.dns, s.mx.port).deliver(
      'remote.test',
      '',
      ['x@remote.test', 'y@remote.test'],
      MSG,
    );
    assert.deepEqual(
      r.map((x) => [x.status, x.code]),
      [
        ['perm', 554],
        ['perm', 554],
      ],
    );
    s.mx.data = () => ({ code: 451, message: '4.3.0 try later' });
    const t = await transport(s.dns, s.mx.port).deliver('remote.test', '', ['x@remote.test'], MSG);
    assert.deepEqual(
      t.map((x) => [x.status, x.code]),
      [['temp', 451]],
    );
  } finally {
    await s.close();
  }
});

test('MX order, fallback to the next host, implicit MX', async () => {
  const s = await setup();
  try {
    const t = transport(s.dns, s.mx.port);
    const r = await t.deliver('fallback.test', 'a@ours.test', ['u@fallback.test'], MSG);
    assert.equal(r[0]!.status, 'sent');
    assert.equal(r[0]!.remoteMta, 'mx.remote.test');
    const i = await t.deliver('implicit.test', 'a@ours.test', ['u@implicit.test'], MSG);
    assert.equal(i[0]!.status, 'sent', 'a domain with an A record and no MX is its own MX');
    assert.equal(s.mx.received.length, 2);
  } finally {
    await s.close();
  }
});

test('null MX and unknown domains fail for good; unreachable hosts are temporary', async () => {
  const s = await setup();
  try {
    const t = transport(s.dns, s.mx.port);
    const n = await t.deliver('nullmx.test', 'a@ours.test', ['u@nullmx.test'], MSG);
    assert.deepEqual([n[0]!.status, n[0]!.code], ['perm', 556]);
    assert.match(n[0]!.text, /5\.1\.10/);
    const u = await t.deliver('nowhere.test', 'a@ours.test', ['u@nowhere.test'], MSG);
    assert.deepEqual([u[0]!.status, u[0]!.code], ['perm', 550]);
    const d = await t.deliver('dead.test', 'a@ours.test', ['u@dead.test', 'v@dead.test'], MSG);
    assert.deepEqual(
      d.map((x) => x.status),
      ['temp', 'temp'],
    );
    assert.equal(s.mx.received.length, 0);
  } finally {
    await s.close();
  }
});

test('smarthost with AUTH takes everything, whatever the MX says', async () => {
  const relay = await startFakeMx({ auth: { user: 'relay-user', pass: 's3cret' }, starttls: false });
  const dns = await startTestDns({});
  try {
    const t = createOutboundTransport({
      resolve: createResolver([dns.server], { timeoutMs: 1000, tries: 1 }),
      heloName: 'out.ours.test',
      smarthost: { host: '127.0.0.1', port: relay.port, user: 'relay-user', pass: 's3cret' },
      connectTimeoutMs: 2000,
    });
    const r = await t.deliver('anywhere.test', 'a@ours.test', ['u@anywhere.test'], MSG);
    assert.equal(r[0]!.status, 'sent');
    assert.equal(relay.received[0]!.user, 'relay-user');

    const bad = createOutboundTransport({
      resolve: createResolver([dns.server]),
      heloName: 'out.ours.test',
      smarthost: { host: '127.0.0.1', port: relay.port, user: 'relay-user', pass: 'wrong' },
    });
    const f = await bad.deliver('anywhere.test', 'a@ours.test', ['u@anywhere.test'], MSG);
    assert.equal(f[0]!.status, 'temp', 'a refused login keeps the mail queued until the operator fixes it');
    assert.equal(relay.received.length, 1);
  } finally {
    await relay.close();
    await dns.close();
  }
});

test('smarthost syntax', () => {
  assert.deepEqual(parseSmarthost('relay.example:587'), { host: 'relay.example', port: 587 });
  assert.deepEqual(parseSmarthost('relay.example'), { host: 'relay.example', port: 25 });
  assert.deepEqual(parseSmarthost('[::1]:2525'), { host: '::1', port: 2525 });
});

test('a host without STARTTLS still gets the mail, in clear text (opportunistic, RFC 7435)', async () => {
  const plain = await startFakeMx({ starttls: false });
  const dns = await startTestDns({
    'plain.test': { MX: [{ priority: 10, exchange: 'mx.plain.test' }] },
    'mx.plain.test': { A: ['127.0.0.1'] },
  });
  try {
    const r = await transport(dns, plain.port).deliver('plain.test', 'a@ours.test', ['u@plain.test'], MSG);
    assert.equal(r[0]!.status, 'sent');
    assert.equal(plain.received[0]!.secure, false);
  } finally {
    await plain.close();
    await dns.close();
  }
});
