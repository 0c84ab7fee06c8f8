// The auto-reply as an administrator and correspondents meet it: set with the real admin CLI
// against the running server, mail sent in with Python's smtplib, the reply seen in the outbound
// queue (`admin queue list`) for a remote sender and in a local sender's INBOX over IMAP.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitFor, type TestServer } from '../../kit/server.js';
import { startTestDns, type TestDns } from '../../kit/dns-server.js';
import { python } from '../../kit/clients.js';

let srv: TestServer;
let dns: TestDns;

before(async () => {
  // Nothing published: the reply to the remote sender stays in the queue, looked up on loopback only.
  dns = await startTestDns({});
  srv = await startServer({
    services: ['smtp', 'submissions', 'imaps'],
    extra: `[dns]\nservers = ["${dns.server}"]\n`,
  });
  for (const args of [
    ['domain', 'add', 'example.test'],
    ['address', 'add', 'alice@example.test', '--password', 'alice-pw', '--name', 'Alice Liddell'],
    ['address', 'add', 'bob@example.test', '--password', 'bob-pw'],
    ['alias', 'add', 'holiday@example.test', 'alice@example.test'],
  ]) {
    const r = srv.admin(...args);
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await srv?.cleanup();
  await dns?.close();
});

function admin(...args: string[]): string {
  const r = srv.admin(...args);
  assert.equal(r.code, 0, `admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function py(code: string): Promise<string> {
  const r = await python(code);
  assert.equal(r.code, 0, r.err);
  return r.out.trim();
}

/** Bob writes to Alice through submission (465, authenticated). */
async function bobWrites(subject: string): Promise<void> {
  await py(`
s = smtplib.SMTP_SSL("127.0.0.1", ${srv.ports.submissions}, context=ctx(), timeout=20)
s.login("bob@example.test", "bob-pw")
s.send_message(msg("bob@example.test", "alice@example.test", subject=${JSON.stringify(subject)}))
s.quit()
`);
}

/** How many messages in Bob's INBOX carry this subject (after waiting for at least `atLeast`). */
async function bobCount(subject: string, atLeast: number): Promise<number> {
  const out = await py(`
end = time.time() + ${atLeast > 0 ? 15 : 3}
n = 0
while time.time() < end:
    m = imap(${srv.ports.imaps}, "bob@example.test", "bob-pw")
    m.select("INBOX")
    typ, data = m.search(None, "SUBJECT", '"${subject}"')
    n = len(data[0].split()) if data and data[0] else 0
    m.logout()
    if n >= ${Math.max(atLeast, 1)} and ${atLeast > 0 ? 'True' : 'False'}: break
    time.sleep(0.2)
print(n)
`);
  return Number(out);
}

test('the admin CLI sets an auto-reply; a remote sender gets one reply, queued from the alias', async () => {
  const set = admin(
    'autoreply',
    'set',
    'alice@example.test',
    '--message',
    'I am away until June.\nWrite to bob@example.test for urgent matters.',
    '--subject',
    'Out of office',
    '--from',
    'holiday@example.test',
    '--exempt',
    'boss@remote.test',
  );
  assert.match(set, /auto-reply "Auto-reply" of alice@example\.test is active/);
  assert.match(
    admin('autoreply', 'list', 'alice@example.test'),
    /^Auto-reply\t\[[0-9a-f]+\]\tactive\tdays=1\tfrom=holiday@example\.test\tsubject="Out of office"\texempt=boss@remote\.test/m,
  );
  assert.match(
    admin('autoreply', 'show-sieve', 'alice@example.test'),
    /^require \["vacation", "envelope"\];$/m,
  );

  await py(`
s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=20)
for frm in ("carol@remote.test", "carol@remote.test", "boss@remote.test"):
    s.send_message(msg(frm, "alice@example.test", subject="Question"), from_addr=frm, to_addrs=["alice@example.test"])
m = msg("news@remote.test", "alice@example.test", subject="Newsletter", List_Id="<news.remote.test>")
s.send_message(m, from_addr="news@remote.test", to_addrs=["alice@example.test"])
s.quit()
`);
  let rows: string[] = [];
  await waitFor(
    () => {
      rows = admin('queue', 'list')
        .split('\n')
        .filter((l) => /\t<>\t->\t/.test(l));
      return rows.length >= 1;
    },
    15_000,
    'the reply in the queue',
  );
  // Every message is stored before its reply is queued: the log shows all four delivered.
  await waitFor(
    () => (admin('log', 'show', 'alice@example.test').match(/\tdelivered\t/g) ?? []).length >= 4,
    15_000,
    'four deliveries',
  );
  rows = admin('queue', 'list')
    .split('\n')
    .filter((l) => /\t<>\t->\t/.test(l));
  assert.equal(rows.length, 1, rows.join('\n'));
  assert.match(rows[0]!, /\t<>\t->\t<carol@remote\.test>\t/);
});

test('a local sender finds the reply in their INBOX over IMAP; reset and off work', async () => {
  await bobWrites('Lunch?');
  const reply = await py(
    `print(find(${srv.ports.imaps}, "bob@example.test", "bob-pw", "Out of office", wait=15) or "")`,
  );
  assert.match(reply, /^From: Alice Liddell <holiday@example\.test>\r?$/m);
  assert.match(reply, /^Auto-Submitted: auto-replied/m);
  assert.match(reply, /I am away until June\.\r\nWrite to bob@example\.test for urgent matters\./);

  // A second message within the day: no second reply.
  await bobWrites('Lunch, really?');
  assert.equal(await bobCount('Out of office', 0), 1);

  // After a reset, Bob is answered again.
  assert.match(admin('autoreply', 'reset', 'alice@example.test'), /reset/);
  await bobWrites('Lunch after all?');
  assert.equal(await bobCount('Out of office', 2), 2);

  // Off: no reply, the saved auto-reply is kept.
  assert.match(admin('autoreply', 'off', 'alice@example.test'), /turned off/);
  assert.match(admin('autoreply', 'list', 'alice@example.test'), /\tinactive\t/);
  admin('autoreply', 'reset', 'alice@example.test');
  await bobWrites('Anyone there?');
  await waitFor(
    () => (admin('log', 'show', 'alice@example.test').match(/\tdelivered\t/g) ?? []).length >= 8,
    15_000,
    'the last delivery',
  );
  assert.equal(await bobCount('Out of office', 0), 2);
});

test('the CLI refuses a foreign identity and a bad weekday, naming the problem', () => {
  const foreign = srv.admin(
    'autoreply',
    'set',
    'alice@example.test',
    '--message',
    'x',
    '--from',
    'bob@example.test',
  );
  assert.equal(foreign.code, 1);
  assert.match(foreign.stderr, /not one of this address's own addresses/);
  const day = srv.admin(
    'autoreply',
    'set',
    'alice@example.test',
    '--message',
    'x',
    '--weekdays',
    'mon,funday',
  );
  assert.equal(day.code, 1);
  assert.match(day.stderr, /Not a weekday: "funday"/);
});

test('dates are read at the given zone; a service template is applied to every address', () => {
  const set = admin(
    'autoreply',
    'set',
    'bob@example.test',
    '--name',
    'Summer 2020',
    '--message',
    'Gone.',
    '--start',
    '2020-07-01',
    '--end',
    '2020-07-31',
    '--zone',
    '+0200',
    '--days',
    '7',
  );
  assert.match(set, /is active \(not in effect now\)/);
  assert.match(
    admin('autoreply', 'list', 'bob@example.test'),
    /^Summer 2020\t\[[0-9a-f]+\]\tactive \(not now\)\tdays=7\tstart=2020-06-30T22:00:00Z\tend=2020-07-31T22:00:00Z$/m,
  );
  const applied = admin(
    'autoreply',
    'template',
    'add',
    'example.test',
    'Closed',
    '--message',
    'Closed today.',
    '--apply',
  );
  assert.match(applied, /applied to 2 address\(es\): alice, bob/);
  assert.match(
    admin('autoreply', 'template', 'list', 'example.test'),
    /^Closed\t\[[0-9a-f]+\]\tvisible\tdays=1$/m,
  );
  const bob = admin('autoreply', 'list', 'bob@example.test');
  assert.match(bob, /^Summer 2020\t.*\tinactive\t/m);
  assert.match(bob, /^Closed\t.*\tactive\t/m);
});
