// Real POP3 clients downloading and deleting: Python's poplib (STLS on 110-style and implicit TLS),
// fetchmail and getmail6 (Debian packages fetchmail, getmail6).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestServer } from '../../kit/server.js';
import { run } from '../../kit/clients.js';
import { deliver, newUser, py, session, startPop3Server } from './harness.js';

let srv: TestServer;
let work: string;
before(async () => {
  srv = await startPop3Server();
  work = mkdtempSync(join(tmpdir(), 'ms-pop3-clients-'));
});
after(async () => {
  await srv?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The Debian packages these tests need; .ci/run installs them. */
function requireTool(name: string, pkg: string): void {
  const r = run('sh', ['-c', `command -v ${name}`]);
  assert.equal(r.code, 0, `${name} is not installed: apt-get install ${pkg}`);
}

async function stat(user: string): Promise<string> {
  const c = await session(srv, user);
  const s = await c.cmd('STAT');
  await c.cmd('QUIT');
  return s;
}

test('poplib over STLS and over implicit TLS: list, uidl, top, retr, dele, quit', async () => {
  const user = newUser(srv);
  const subjects = await deliver(srv, user, 3);
  const out = await py(`
p = poplib.POP3("127.0.0.1", ${srv.ports.pop3}, timeout=20)
caps = p.capa()
p.stls(context=ctx()); p.user("${user}"); p.pass_("pass")
count, size = p.stat()
_, listing, _ = p.list()
_, uidls, _ = p.uidl()
_, top, _ = p.top(1, 0)
_, lines, octets = p.retr(2)
p.dele(1)
p.quit()
q = poplib.POP3_SSL("127.0.0.1", ${srv.ports.pop3s}, context=ctx(), timeout=20)
q.user("${user}"); q.pass_("pass")
after = q.stat()[0]
_, uidls2, _ = q.uidl()
q.quit()
print(json.dumps({
  "stls": "STLS" in caps, "count": count, "size": size,
  "sizes": sum(int(l.split()[1]) for l in listing),
  "uidls": [l.decode().split()[1] for l in uidls], "uidls2": [l.decode().split()[1] for l in uidls2],
  "top_subject": [l.decode() for l in top if l.startswith(b"Subject:")],
  "retr": b"\\r\\n".join(lines).decode(), "after": after}))
`);
  const r = JSON.parse(out) as {
    stls: boolean;
    count: number;
    size: number;
    sizes: number;
    uidls: string[];
    uidls2: string[];
    top_subject: string[];
    retr: string;
    after: number;
  };
  assert.ok(r.stls);
  assert.equal(r.count, 3);
  assert.equal(r.sizes, r.size);
  assert.equal(r.uidls.length, 3);
  assert.deepEqual(r.top_subject, [`Subject: ${subjects[0]}`]);
  assert.ok(r.retr.includes(`Subject: ${subjects[1]}`));
  assert.ok(r.retr.includes('hello'));
  assert.equal(r.after, 2);
  assert.deepEqual(r.uidls2, r.uidls.slice(1));
});

test('fetchmail downloads everything over pop3s and over STLS, and deletes it', async () => {
  requireTool('fetchmail', 'fetchmail');
  for (const mode of ['pop3s', 'stls'] as const) {
    const user = newUser(srv);
    const subjects = await deliver(srv, user, 3);
    const dir = mkdtempSync(join(work, `fetchmail-${mode}-`));
    const mbox = join(dir, 'mbox');
    const rc = join(dir, 'fetchmailrc');
    writeFileSync(
      rc,
      [
        'set no bouncemail',
        `poll 127.0.0.1 service ${mode === 'pop3s' ? srv.ports.pop3s : srv.ports.pop3} protocol POP3 uidl`,
        `  user "${user}" there with password "pass" is "root" here`,
        mode === 'pop3s' ? '  ssl no sslcertck' : '  sslproto "TLS1.2+" no sslcertck',
        '  fetchall',
        `  mda "/bin/sh -c 'cat >> ${mbox}'"`,
        '',
      ].join('\n'),
    );
    chmodSync(rc, 0o600);
    const r = run('env', [
      `HOME=${dir}`,
      'fetchmail',
      '-f',
      rc,
      '-i',
      join(dir, 'fetchids'),
      '--nodetach',
      '--nosyslog',
      '-v',
    ]);
    assert.equal(r.code, 0, `fetchmail ${mode} exited ${r.code}\n${r.out}\n${r.err}`);
    const got = readFileSync(mbox, 'utf8');
    for (const s of subjects) assert.ok(got.includes(`Subject: ${s}`), `${mode}: ${s} missing`);
    if (mode === 'stls') assert.match(r.out + r.err, /STLS/);
    assert.match(await stat(user), /^\+OK 0 0$/);
  }
});

test('getmail6 downloads everything over pop3s and deletes it', async () => {
  requireTool('getmail', 'getmail6');
  const user = newUser(srv);
  const subjects = await deliver(srv, user, 3);
  const dir = mkdtempSync(join(work, 'getmail-'));
  const mbox = join(dir, 'mbox');
  writeFileSync(mbox, '');
  writeFileSync(
    join(dir, 'getmailrc'),
    [
      '[retriever]',
      'type = SimplePOP3SSLRetriever',
      'server = 127.0.0.1',
      `port = ${srv.ports.pop3s}`,
      `username = ${user}`,
      'password = pass',
      '[destination]',
      // getmail refuses to write an mbox as root (tests and CI run as root): deliver through a command.
      'type = MDA_external',
      'path = /bin/sh',
      `arguments = ("-c", "cat >> ${mbox}")`,
      'allow_root_commands = true',
      '[options]',
      'delete = true',
      'read_all = true',
      'verbose = 1',
      '',
    ].join('\n'),
  );
  const r = run('getmail', ['--getmaildir', dir, '--rcfile', 'getmailrc']);
  assert.equal(r.code, 0, `getmail exited ${r.code}\n${r.out}\n${r.err}`);
  const got = readFileSync(mbox, 'utf8');
  for (const s of subjects) assert.ok(got.includes(`Subject: ${s}`), `${s} missing`);
  assert.match(await stat(user), /^\+OK 0 0$/);
});
