// SMTP as users and other MTAs use it, against the real server on loopback: submission with
// Python smtplib (465 and 587), nodemailer, swaks and curl; the MX with anti-relay, unknown users,
// limits, loops, SPF/DKIM/DMARC (a loopback DNS server publishes the policies) and quotas.
// Arrival is always checked with a real IMAP client.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTransport } from 'nodemailer';
import { startServer, type TestServer } from '../../kit/server.js';
import { startTestDns, type TestDns } from '../../kit/dns-server.js';
import { python, run } from '../../kit/clients.js';

let srv: TestServer;
let dns: TestDns;

before(async () => {
  dns = await startTestDns({
    // a sender domain that publishes SPF -all for another host and DMARC p=reject
    'strict.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
    '_dmarc.strict.test': { TXT: ['v=DMARC1; p=reject'] },
    'careful.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all'] },
    '_dmarc.careful.test': { TXT: ['v=DMARC1; p=quarantine'] },
    'friendly.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    '_dmarc.friendly.test': { TXT: ['v=DMARC1; p=reject'] },
  });
  srv = await startServer({
    services: ['smtp', 'submission', 'submissions', 'imaps', 'http'],
    extra: `[dns]\nservers = ["${dns.server}"]\n[smtp]\nmax_message_size = 200000\nmax_received_headers = 30\n`,
  });
  for (const args of [
    ['domain', 'add', 'example.test'],
    ['domain', 'link', 'example.test', 'alias-domain.test'],
    ['address', 'add', 'user1@example.test', '--password', 'pass'],
    ['address', 'add', 'user2@example.test', '--password', 'pass'],
    ['address', 'add', 'small@example.test', '--password', 'pass', '--quota', '3000'],
    ['alias', 'add', 'sales@example.test', 'user1@example.test'],
  ]) {
    const r = srv.admin(...args);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await srv?.cleanup();
  await dns?.close();
});

const P = () => srv.ports;

async function py(code: string): Promise<string> {
  const r = await python(code);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

describe('submission', () => {
  test('587 STARTTLS and 465 implicit TLS with smtplib; arrival over IMAP with trace fields', async () => {
    const out = await py(`
for mode, port in (("starttls", ${P().submission}), ("ssl", ${P().submissions})):
    m = msg("user1@example.test", "user2@example.test", Bcc="hidden@example.test")
    if mode == "ssl":
        s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx(), timeout=20)
    else:
        s = smtplib.SMTP("127.0.0.1", port, timeout=20); s.ehlo(); s.starttls(context=ctx())
    s.ehlo(); s.login("User1@Example.test", "pass")
    s.send_message(m, to_addrs=["user2@example.test"]); s.quit()
    got = find(${P().imaps}, "user2@example.test", "pass", m["Subject"])
    print(json.dumps({"mode": mode, "found": got is not None,
        "bcc": got is not None and "hidden@" in got, "date": got is not None and "\\nDate:" in got.replace("\\r\\n", "\\n"),
        "received": got is not None and "with ESMTPSA" in got, "delivered": got is not None and "Delivered-To: user2@example.test" in got}))
`);
    for (const line of out.split('\n')) {
      const r = JSON.parse(line) as Record<string, unknown>;
      assert.deepEqual(
        r,
        { mode: r['mode'], found: true, bcc: false, date: true, received: true, delivered: true },
        line,
      );
    }
  });

  test('no AUTH before STARTTLS on 587, and no mail without AUTH', async () => {
    const out = await py(`
s = smtplib.SMTP("127.0.0.1", ${P().submission}, timeout=20)
s.ehlo()
before = s.has_extn("auth")
code, _ = s.docmd("AUTH", "PLAIN AHVzZXIxQGV4YW1wbGUudGVzdABwYXNz")
mail = s.mail("user1@example.test")[0]
s.starttls(context=ctx()); s.ehlo()
print(json.dumps({"authBeforeTls": before, "authCode": code, "mailCode": mail, "authAfterTls": s.has_extn("auth")}))
`);
    const r = JSON.parse(out) as {
      authBeforeTls: boolean;
      authCode: number;
      mailCode: number;
      authAfterTls: boolean;
    };
    assert.equal(r.authBeforeTls, false);
    assert.ok(r.authCode >= 500, `AUTH before TLS answered ${r.authCode}`);
    assert.equal(r.mailCode, 530);
    assert.equal(r.authAfterTls, true);
  });

  test('sending as someone else is refused (envelope and From), aliases and linked domains are allowed', async () => {
    const out = await py(`
def attempt(mail_from, header_from):
    s = smtplib.SMTP_SSL("127.0.0.1", ${P().submissions}, context=ctx(), timeout=20); s.login("user1@example.test", "pass")
    try:
        s.send_message(msg(header_from, "user2@example.test"), from_addr=mail_from, to_addrs=["user2@example.test"]); r = "ok"
    except smtplib.SMTPSenderRefused as e: r = "sender %d" % e.smtp_code
    except smtplib.SMTPDataError as e: r = "data %d" % e.smtp_code
    s.quit(); return r
print(json.dumps([attempt("user2@example.test", "user1@example.test"), attempt("user1@example.test", "user2@example.test"),
    attempt("sales@example.test", "Sales <sales@alias-domain.test>"), attempt("user1+tag@alias-domain.test", "user1@example.test"),
    attempt("user1@example.test", "user1@example.test, user2@example.test")]))
`);
    assert.deepEqual(JSON.parse(out), ['sender 553', 'data 550', 'ok', 'ok', 'data 550']);
  });

  test('STARTTLS injection: commands pipelined behind STARTTLS are discarded (RFC 3207 §4.2)', async () => {
    const out = await py(`
import socket
raw = socket.create_connection(("127.0.0.1", ${P().submission}), timeout=10)
f = raw.makefile("rb")
f.readline()
raw.sendall(b"EHLO x.test\\r\\n")
while True:
    l = f.readline()
    if l[3:4] == b" ": break
raw.sendall(b"STARTTLS\\r\\nMAIL FROM:<user1@example.test>\\r\\n")
print(f.readline().decode().strip())
t = ctx().wrap_socket(raw, server_hostname="x")
t.sendall(b"NOOP\\r\\n")
print(t.recv(1000).decode().strip())`);
    const [starttls, afterTls] = out.split('\n');
    assert.match(starttls!, /^220 /);
    // the first reply after the handshake answers our NOOP, not the injected MAIL
    assert.match(afterTls!, /^250 /);
    assert.doesNotMatch(afterTls!, /sender|530|MAIL/i);
  });

  test('the daily sending limit of the plan (each recipient counts), with the reason in the mail log', async () => {
    assert.equal(srv.admin('domain', 'add', 'tiny.test', '--plan', 'starter').code, 0);
    assert.equal(srv.admin('address', 'add', 'me@tiny.test', '--password', 'pass').code, 0);
    const out = await py(`
s = smtplib.SMTP_SSL("127.0.0.1", ${P().submissions}, context=ctx(), timeout=20); s.login("me@tiny.test", "pass")
res = []
for n in (60, 40, 1):
    rcpts = ["user2+%d@example.test" % i for i in range(n)]
    try: s.send_message(msg("me@tiny.test", "user2@example.test"), to_addrs=rcpts); res.append("ok")
    except smtplib.SMTPDataError as e: res.append("%d %s" % (e.smtp_code, e.smtp_error.decode()))
s.quit(); print(json.dumps(res))`);
    const res = JSON.parse(out) as string[];
    assert.deepEqual(res.slice(0, 2), ['ok', 'ok']);
    assert.match(res[2]!, /^550 5\.7\.1 .*daily sending limit.*100 of 100/);
    assert.match(srv.admin('log', 'show', 'me@tiny.test').stdout, /\tout\trejected\t.*daily sending limit/);
  });

  test('wrong password refused with 535', async () => {
    const out = await py(`
s = smtplib.SMTP_SSL("127.0.0.1", ${P().submissions}, context=ctx(), timeout=20)
try: s.login("user1@example.test", "wrong"); print("accepted")
except smtplib.SMTPAuthenticationError as e: print(e.smtp_code)
`);
    assert.equal(out, '535');
  });

  test('nodemailer, swaks and curl deliver like a website or script would', async () => {
    const transport = createTransport({
      host: '127.0.0.1',
      port: P().submissions,
      secure: true,
      auth: { user: 'user1@example.test', pass: 'pass' },
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      from: 'user1@example.test',
      to: 'user2@example.test',
      subject: 'via nodemailer',
      text: 'hi',
    });
    assert.match(info.response, /^250 /);
    transport.close();
    const sw = run(
      'swaks',
      [
        '--server',
        '127.0.0.1',
        '--port',
        String(P().submission),
        '--tls',
        '--auth',
        'LOGIN',
        '--auth-user',
        'user1@example.test',
        '--auth-password',
        'pass',
        '--from',
        'user1@example.test',
        '--to',
        'user2@example.test',
        '--header',
        'Subject: via swaks',
        '--tls-verify',
        '--tls-ca-path',
        '/dev/null',
      ].filter((a) => a !== '--tls-verify' && a !== '--tls-ca-path' && a !== '/dev/null'),
    );
    assert.equal(sw.code, 0, sw.out + sw.err);
    const mail =
      'From: user1@example.test\r\nTo: user2@example.test\r\nSubject: via curl\r\n\r\nhello from curl\r\n';
    const c = run(
      'curl',
      [
        '-sS',
        '--ssl-reqd',
        '-k',
        `smtp://127.0.0.1:${P().submission}`,
        '--mail-from',
        'user1@example.test',
        '--mail-rcpt',
        'user2@example.test',
        '--user',
        'user1@example.test:pass',
        '--upload-file',
        '-',
      ],
      mail,
    );
    assert.equal(c.code, 0, c.err);
    const found = await py(
      `print(json.dumps([find(${P().imaps}, "user2@example.test", "pass", s) is not None for s in ("via nodemailer", "via swaks", "via curl")]))`,
    );
    assert.deepEqual(JSON.parse(found), [true, true, true]);
  });
});

describe('MX', () => {
  const mx = async (from: string, rcpts: string[], body: string, helo = 'mx.remote.test') =>
    JSON.parse(
      await py(`
s = smtplib.SMTP("127.0.0.1", ${P().smtp}, timeout=20); s.ehlo(${JSON.stringify(helo)})
res = {"ehlo": s.esmtp_features}
res["mail"] = s.mail(${JSON.stringify(from)})[0]
res["rcpt"] = [s.rcpt(r)[0] for r in ${JSON.stringify(rcpts)}]
res["rcptText"] = s.rcpt("x")[1].decode() if False else ""
if any(c == 250 for c in res["rcpt"]):
    code, text = s.data(${JSON.stringify(body)}.encode()); res["data"] = [code, text.decode()]
s.quit(); print(json.dumps(res))
`),
    ) as { ehlo: Record<string, string>; mail: number; rcpt: number[]; data?: [number, string] };

  test('EHLO offers what we implement, AUTH not on the MX', async () => {
    const r = await mx('a@remote.test', [], '');
    for (const k of ['starttls', 'pipelining', '8bitmime', 'smtputf8', 'enhancedstatuscodes', 'size', 'dsn'])
      assert.ok(k in r.ehlo, k);
    assert.ok(!('auth' in r.ehlo));
    assert.equal(r.ehlo['size'], '200000');
  });

  test('never a relay: remote and trick recipients refused, unknown users 550 5.1.1', async () => {
    const r = await mx(
      'spammer@remote.test',
      [
        'victim@elsewhere.test',
        'victim%elsewhere.test@example.test',
        '"victim@elsewhere.test"@example.test',
        '@example.test:victim@elsewhere.test',
        'victim@elsewhere.test@example.test',
        'victim!elsewhere.test@example.test',
        'nobody@example.test',
      ],
      '',
    );
    for (const code of r.rcpt) assert.ok(code >= 500, JSON.stringify(r.rcpt));
    const text = await py(`
s = smtplib.SMTP("127.0.0.1", ${P().smtp}, timeout=20); s.ehlo("x.test"); s.mail("a@remote.test")
print(s.rcpt("nobody@example.test")); print(s.rcpt("someone@elsewhere.test"))`);
    assert.match(text, /550, b'5\.1\.1 /);
    assert.match(text, /554, b'5\.7\.1 Relaying denied/);
  });

  test('aliases, linked domains, subaddresses and case reach the right mailbox', async () => {
    const subject = `route ${Date.now()}`;
    const body = `From: a@remote.test\r\nTo: x\r\nSubject: ${subject}\r\n\r\nbody\r\n`;
    const r = await mx('a@remote.test', ['SALES@alias-domain.test', 'user2+news@EXAMPLE.test'], body);
    assert.deepEqual(r.rcpt, [250, 250]);
    assert.equal(r.data![0], 250);
    const found = await py(
      `print(json.dumps([find(${P().imaps}, u, "pass", ${JSON.stringify(subject)}) is not None for u in ("user1@example.test", "user2@example.test")]))`,
    );
    assert.deepEqual(JSON.parse(found), [true, true]);
  });

  test('more than 100 recipients: 452 4.5.3 for the rest', async () => {
    const rcpts = Array.from({ length: 101 }, (_, i) => `user1+${i}@example.test`);
    const r = await mx('a@remote.test', rcpts, 'Subject: many\r\n\r\nx\r\n');
    assert.equal(r.rcpt.filter((c) => c === 250).length, 100);
    assert.equal(r.rcpt[100], 452);
  });

  test('too big: 552 5.3.4', async () => {
    const out = await py(`
s = smtplib.SMTP("127.0.0.1", ${P().smtp}, timeout=20); s.ehlo("x.test")
print(s.mail("a@remote.test", ["SIZE=300000"]))
s.rset(); s.mail("a@remote.test"); s.rcpt("user1@example.test")
print(s.data(b"Subject: big\\r\\n\\r\\n" + b"x" * 250000))`);
    assert.match(out, /^\(552, /);
    assert.match(out, /\(552, b'5\.3\.4 /m);
  });

  test('loops: too many Received fields, or our own Delivered-To, get 554 5.4.6', async () => {
    const hops = Array.from(
      { length: 31 },
      (_, i) => `Received: from h${i}.test by h${i + 1}.test; Fri, 27 Nov 2026 00:00:00 +0000\r\n`,
    ).join('');
    const r1 = await mx('a@remote.test', ['user1@example.test'], `${hops}Subject: loop\r\n\r\nx\r\n`);
    assert.equal(r1.data![0], 554);
    assert.match(r1.data![1], /^5\.4\.6 /);
    const r2 = await mx(
      'a@remote.test',
      ['user1@example.test'],
      `Delivered-To: user1@example.test\r\nSubject: loop2\r\n\r\nx\r\n`,
    );
    assert.equal(r2.data![0], 554);
  });

  test('SPF/DMARC: p=reject failure refused at end of DATA, quarantine to Junk, pass to INBOX', async () => {
    const subject = `dmarc ${Date.now()}`;
    const rej = await mx(
      'bob@strict.test',
      ['user1@example.test'],
      `From: bob@strict.test\r\nSubject: ${subject} r\r\n\r\nx\r\n`,
    );
    assert.equal(rej.data![0], 550);
    assert.match(rej.data![1], /^5\.7\.1 .*DMARC/);
    const q = await mx(
      'bob@careful.test',
      ['user1@example.test'],
      `From: bob@careful.test\r\nSubject: ${subject} q\r\n\r\nx\r\n`,
    );
    assert.equal(q.data![0], 250);
    const ok = await mx(
      'bob@friendly.test',
      ['user1@example.test'],
      `From: bob@friendly.test\r\nAuthentication-Results: mx.example.test; spf=pass; dkim=pass; dmarc=pass\r\nSubject: ${subject} p\r\n\r\nx\r\n`,
    );
    assert.equal(ok.data![0], 250);
    const res = JSON.parse(
      await py(
        `print(json.dumps([find(${P().imaps}, "user1@example.test", "pass", ${JSON.stringify(subject + ' q')}, folder="Junk"), find(${P().imaps}, "user1@example.test", "pass", ${JSON.stringify(subject + ' p')})]))`,
      ),
    ) as [string | null, string | null];
    assert.ok(res[0], 'quarantined message is in Junk');
    assert.match(res[0]!, /dmarc=fail/);
    assert.ok(res[1]);
    assert.match(res[1]!, /spf=pass/);
    assert.match(res[1]!, /dmarc=pass/);
    // the forged result claiming to be our host name was removed; only ours remains
    assert.equal(res[1]!.match(/Authentication-Results: mx\.example\.test;/g)?.length, 1);
    assert.doesNotMatch(res[1]!, /dkim=pass/);
  });

  test('over quota: 452 4.2.2 for that recipient, others still delivered', async () => {
    const first = await mx(
      'a@remote.test',
      ['small@example.test'],
      `Subject: fill\r\n\r\n${'x'.repeat(4000)}\r\n`,
    );
    assert.equal(first.data![0], 452);
    assert.match(first.data![1], /^4\.2\.2 /);
    const small = await mx(
      'a@remote.test',
      ['small@example.test'],
      `Subject: small\r\n\r\n${'y'.repeat(1000)}\r\n`,
    );
    assert.equal(small.data![0], 250);
    // the administrator lowers the quota below what is used: the box is full from now on
    assert.equal(srv.admin('address', 'set', 'small@example.test', '--quota', '1000').code, 0);
    const subject = `quota ${Date.now()}`;
    const r = await mx(
      'a@remote.test',
      ['small@example.test', 'user2@example.test'],
      `Subject: ${subject}\r\n\r\nz\r\n`,
    );
    assert.deepEqual(r.rcpt, [452, 250]);
    assert.equal(r.data![0], 250);
    assert.equal(
      await py(
        `print(find(${P().imaps}, "user2@example.test", "pass", ${JSON.stringify(subject)}) is not None)`,
      ),
      'True',
    );
  });

  test('Sieve reject: 550 at SMTP time for one recipient, a DSN when others accepted (RFC 5429)', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const script = join(mkdtempSync(join(tmpdir(), 'ms-sieve-')), 'reject.sieve');
    writeFileSync(
      script,
      'require "reject";\nif header :contains "subject" "reject me" { reject "not wanted here"; }\n',
    );
    const imp = srv.admin('sieve', 'import', 'user1@example.test', script, '--activate');
    assert.equal(imp.code, 0, imp.stderr);
    const one = await mx('user2@example.test', ['user1@example.test'], 'Subject: reject me 1\r\n\r\nx\r\n');
    assert.equal(one.data![0], 550);
    assert.match(one.data![1], /^5\.7\.1 not wanted here/);
    const two = await mx(
      'user2@example.test',
      ['user1@example.test', 'user2@example.test'],
      'Subject: reject me 2\r\n\r\nx\r\n',
    );
    assert.equal(two.data![0], 250);
    const dsn = await py(
      `print(find(${P().imaps}, "user2@example.test", "pass", "Undelivered", wait=20) or "")`,
    );
    assert.match(dsn, /Final-Recipient: rfc822; ?user1@example\.test/);
    assert.match(dsn, /Status: 5\.7\.1/);
    assert.match(dsn, /not wanted here/);
    assert.equal(srv.admin('sieve', 'deactivate', 'user1@example.test').code, 0);
  });

  test('an address added by the admin CLI receives mail at once', async () => {
    assert.deepEqual(
      (await mx('a@remote.test', ['late@example.test'], 'Subject: x\r\n\r\nx\r\n')).rcpt,
      [550],
    );
    assert.equal(srv.admin('address', 'add', 'late@example.test', '--password', 'p').code, 0);
    assert.deepEqual(
      (await mx('a@remote.test', ['late@example.test'], 'Subject: x\r\n\r\nx\r\n')).rcpt,
      [250],
    );
  });

  test('the mail log says what happened', async () => {
    const log = srv.admin('log', 'show', 'user1@example.test');
    assert.equal(log.code, 0);
    assert.match(log.stdout, /\tin\treceived\t.*"spf":"fail"/);
    assert.match(log.stdout, /\tin\trejected\t.*DMARC policy reject/);
    assert.match(log.stdout, /\tin\tdelivered\t.*"folders":\["Junk"\]/);
  });
});
