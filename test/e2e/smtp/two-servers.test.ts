// Two Mailstead instances on loopback, a test DNS serving their MX, SPF and DKIM records: mail
// submitted to A for a user of B arrives in B's INBOX DKIM-verified and SPF-pass; a permanent
// failure at B comes back as a bounce in the sender's INBOX at A.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../../kit/server.js';
import { startTestDns, type TestDns } from '../../kit/dns-server.js';
import { python } from '../../kit/clients.js';

let a: TestServer;
let b: TestServer;
let dns: TestDns;

function publishDkim(srv: TestServer, domain: string): void {
  const rec = /^(\S+)\.\tTXT\t"(v=DKIM1[^"]+)"$/m.exec(srv.admin('domain', 'dns', domain).stdout)!;
  dns.zone[rec[1]!] = { TXT: [rec[2]!] };
}

before(async () => {
  dns = await startTestDns({
    'a.test': { MX: [{ priority: 10, exchange: 'mx.a.test' }], TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    'b.test': { MX: [{ priority: 10, exchange: 'mx.b.test' }], TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    '_dmarc.a.test': { TXT: ['v=DMARC1; p=reject'] },
    'mx.a.test': { A: ['127.0.0.1'] },
    'mx.b.test': { A: ['127.0.0.1'] },
  });
  b = await startServer({
    services: ['smtp', 'submissions', 'imaps'],
    extra: `[dns]\nservers = ["${dns.server}"]\n`,
  });
  // A delivers to "port 25" of whatever the MX names: here B's MX port.
  a = await startServer({
    services: ['smtp', 'submissions', 'imaps'],
    extra: `[dns]\nservers = ["${dns.server}"]\n[smtp]\noutbound_port = ${b.ports.smtp}\n`,
  });
  for (const [srv, domain, user] of [
    [a, 'a.test', 'alice@a.test'],
    [b, 'b.test', 'bob@b.test'],
  ] as const) {
    assert.equal(srv.admin('domain', 'add', domain).code, 0);
    assert.equal(srv.admin('address', 'add', user, '--password', 'pass').code, 0);
    publishDkim(srv, domain);
  }
});

after(async () => {
  await a?.cleanup();
  await b?.cleanup();
  await dns?.close();
});

test('A to B: arrives in INBOX, DKIM pass, SPF pass, DMARC pass', async () => {
  const r = await python(`
s = smtplib.SMTP_SSL("127.0.0.1", ${a.ports.submissions}, context=ctx(), timeout=20); s.login("alice@a.test", "pass")
s.send_message(msg("Alice <alice@a.test>", "bob@b.test", "across servers")); s.quit()
print(find(${b.ports.imaps}, "bob@b.test", "pass", "across servers", wait=30) or "")`);
  assert.equal(r.code, 0, r.err);
  const ar = /Authentication-Results: mx\.example\.test;[^]*?(?=\r?\n\S)/.exec(r.out)?.[0] ?? '';
  assert.match(ar, /dkim=pass header\.i=@a\.test/);
  assert.match(ar, /spf=pass[^;]*smtp\.mailfrom=alice@a\.test/);
  assert.match(ar, /dmarc=pass/);
});

test("a permanent failure at B becomes a bounce in the sender's INBOX at A", async () => {
  const r = await python(`
s = smtplib.SMTP_SSL("127.0.0.1", ${a.ports.submissions}, context=ctx(), timeout=20); s.login("alice@a.test", "pass")
s.send_message(msg("alice@a.test", "ghost@b.test", "to a ghost")); s.quit()
print(find(${a.ports.imaps}, "alice@a.test", "pass", "Undelivered", wait=40) or "")`);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Final-Recipient: rfc822; ?ghost@b\.test/i);
  assert.match(r.out, /Status: 5\.1\.1/);
  assert.match(r.out, /Subject: to a ghost/);
});
