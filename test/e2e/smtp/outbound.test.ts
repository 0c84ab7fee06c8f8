// Sending out, end to end: the real server, a loopback DNS that publishes MX and DKIM records, and
// a fake remote MX. Submitted mail leaves DKIM-signed; redirections and forwarding leave with an SRS
// sender; a remote refusal comes back to the local sender as an RFC 3464 bounce; the admin CLI sees
// and manages the queue.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { dkimVerify } from 'mailauth';
import { startServer, waitFor, type TestServer } from '../../kit/server.js';
import { startTestDns, type TestDns } from '../../kit/dns-server.js';
import { python } from '../../kit/clients.js';
import { createResolver } from '../../../src/core/dns/resolver.js';
import { startFakeMx, type FakeMx } from '../../../src/smtp/outbound/test-kit.js';

let srv: TestServer;
let dns: TestDns;
let far: FakeMx;

before(async () => {
  far = await startFakeMx();
  dns = await startTestDns({
    'elsewhere.test': { MX: [{ priority: 10, exchange: 'mx.elsewhere.test' }] },
    'mx.elsewhere.test': { A: ['127.0.0.1'] },
  });
  srv = await startServer({
    services: ['smtp', 'submissions', 'imaps'],
    extra: `[dns]\nservers = ["${dns.server}"]\n[smtp]\noutbound_port = ${far.port}\n`,
  });
  for (const args of [
    ['domain', 'add', 'example.test'],
    ['address', 'add', 'user1@example.test', '--password', 'pass'],
    ['address', 'add', 'user2@example.test', '--password', 'pass'],
    ['redirect', 'add', 'info@example.test', 'far@elsewhere.test'],
    ['forward', 'set', 'user2@example.test', 'copy@elsewhere.test', '--keep'],
  ]) {
    const r = srv.admin(...args);
    assert.equal(r.code, 0, r.stderr);
  }
  // publish the DKIM key exactly as `domain dns` prints it
  const rec = /^(\S+)\.\tTXT\t"(v=DKIM1[^"]+)"$/m.exec(srv.admin('domain', 'dns', 'example.test').stdout)!;
  dns.zone[rec[1]!] = { TXT: [rec[2]!] };
});

after(async () => {
  await srv?.cleanup();
  await dns?.close();
  await far?.close();
});

async function submit(to: string[], subject: string): Promise<void> {
  const r = await python(`
s = smtplib.SMTP_SSL("127.0.0.1", ${srv.ports.submissions}, context=ctx(), timeout=20); s.login("user1@example.test", "pass")
s.send_message(msg("User One <user1@example.test>", ", ".join(${JSON.stringify(to)}), ${JSON.stringify(subject)}, Bcc="secret@elsewhere.test"), to_addrs=${JSON.stringify(to)}); s.quit()`);
  assert.equal(r.code, 0, r.err);
}

const arrived = (subject: string) =>
  far.received.find((m) => m.raw.toString('latin1').includes(`Subject: ${subject}`));

test('submitted mail to a remote domain leaves DKIM-signed through the MX the DNS names', async () => {
  await submit(['someone@elsewhere.test'], 'outbound one');
  await waitFor(() => arrived('outbound one') !== undefined, 20_000, 'remote delivery');
  const m = arrived('outbound one')!;
  assert.equal(m.from, 'user1@example.test');
  assert.deepEqual(m.to, ['someone@elsewhere.test']);
  assert.doesNotMatch(m.raw.toString('latin1'), /^Bcc:/im);
  const v = await dkimVerify(m.raw, { resolver: createResolver([dns.server]) as never });
  assert.equal(v.results[0]?.status.result, 'pass', JSON.stringify(v.results[0]?.status));
  assert.equal(v.results[0]?.signingDomain, 'example.test');
  await waitFor(
    () => /\tout\tsent\t/.test(srv.admin('log', 'show', 'user1@example.test').stdout),
    10_000,
    'mail log "sent"',
  );
});

test('redirections and forwarding leave with an SRS sender; forwarding can keep a copy', async () => {
  const r = await python(`
s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=20); s.ehlo("mx.remote.test")
s.sendmail("bob@remote.test", ["info@example.test", "user2@example.test"], msg("bob@remote.test", "info@example.test", "forwarded one").as_bytes()); s.quit()
print(find(${srv.ports.imaps}, "user2@example.test", "pass", "forwarded one") is not None)`);
  assert.equal(r.out.trim(), 'True', r.err);
  await waitFor(
    () =>
      far.received.filter((m) => m.raw.toString('latin1').includes('Subject: forwarded one')).length === 2,
    20_000,
    'two forwarded copies',
  );
  const copies = far.received.filter((m) => m.raw.toString('latin1').includes('Subject: forwarded one'));
  assert.deepEqual(copies.flatMap((c) => c.to).sort(), ['copy@elsewhere.test', 'far@elsewhere.test']);
  for (const c of copies)
    assert.match(c.from, /^SRS0=[^=]+=[A-Z2-7]{2}=remote\.test=bob@mx\.example\.test$/i);
});

test('a remote refusal bounces to the local sender as an RFC 3464 report', async () => {
  far.rcpt = (a) =>
    a === 'nobody@elsewhere.test' ? { code: 550, message: '5.1.1 no such user over there' } : undefined;
  await submit(['nobody@elsewhere.test'], 'will bounce');
  const r = await python(`
raw = find(${srv.ports.imaps}, "user1@example.test", "pass", "Undelivered", wait=30)
print(raw or "")`);
  assert.match(r.out, /Content-Type: multipart\/report;[\s\S]*report-type="?delivery-status/i);
  assert.match(r.out, /Final-Recipient: rfc822; ?nobody@elsewhere\.test/i);
  assert.match(r.out, /Status: 5\.1\.1/);
  assert.match(r.out, /no such user over there/);
  assert.match(r.out, /^Return-Path: <>/m);
});

test('the queue is visible and manageable from the admin CLI', async () => {
  far.rcpt = (a) => (a === 'later@elsewhere.test' ? { code: 451, message: '4.3.0 try later' } : undefined);
  await submit(['later@elsewhere.test'], 'deferred one');
  let id = '';
  await waitFor(
    () => {
      const line = srv
        .admin('queue', 'list', '--status', 'queued')
        .stdout.split('\n')
        .find((l) => l.includes('<later@elsewhere.test>') && /attempts=[1-9]/.test(l));
      id = line?.split('\t')[0] ?? '';
      return id !== '';
    },
    20_000,
    'a deferred row',
  );
  assert.match(srv.admin('queue', 'list').stdout, /try later/);
  far.rcpt = () => undefined;
  assert.equal(srv.admin('queue', 'retry', id).code, 0);
  await waitFor(() => arrived('deferred one') !== undefined, 30_000, 'delivery after retry');
  const bad = srv.admin('queue', 'delete', '999999');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /999999/);
});

test('DSN NOTIFY=SUCCESS: "delivered" for local delivery, "relayed" for remote (RFC 3461)', async () => {
  // a remote sender asks for a success report of a local delivery: it goes back out to its MX
  const r = await python(`
s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=20); s.ehlo("mx.elsewhere.test")
s.sendmail("dsnwant@elsewhere.test", ["user1@example.test"], msg("dsnwant@elsewhere.test", "user1@example.test", "dsn local").as_bytes(),
           mail_options=["RET=HDRS", "ENVID=env-42"], rcpt_options=["NOTIFY=SUCCESS", "ORCPT=rfc822;user1@example.test"])
s.quit()
# a local user asks for a success report of a remote delivery
s = smtplib.SMTP_SSL("127.0.0.1", ${srv.ports.submissions}, context=ctx(), timeout=20); s.login("user1@example.test", "pass")
s.send_message(msg("user1@example.test", "someone@elsewhere.test", "dsn remote"), rcpt_options=["NOTIFY=SUCCESS,FAILURE"]); s.quit()
print(find(${srv.ports.imaps}, "user1@example.test", "pass", "Successful Mail Delivery", wait=30) or "")`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Action: relayed/);
  assert.match(r.out, /Final-Recipient: rfc822; ?someone@elsewhere\.test/);
  await waitFor(
    () => far.received.some((m) => m.to.includes('dsnwant@elsewhere.test')),
    30_000,
    'the delivered report',
  );
  const report = far.received.find((m) => m.to.includes('dsnwant@elsewhere.test'))!;
  assert.equal(report.from, '');
  const text = report.raw.toString('latin1');
  assert.match(text, /Action: delivered/);
  assert.match(text, /Original-Envelope-Id: env-42/);
  assert.match(text, /Original-Recipient: rfc822;user1@example\.test/);
  assert.match(text, /Status: 2\.0\.0/);
});
