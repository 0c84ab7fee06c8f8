// The maildrop's rules across sessions and protocols: DELE only at QUIT (RFC 1939 §6), one POP3
// session per maildrop ([IN-USE], RFC 2449 §8.1.1), IMAP changes during a POP3 session, UIDL values
// that are IMAP's UIDVALIDITY.UID and survive a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../../kit/server.js';
import { deliver, newUser, py, RawPop3, session, startPop3Server } from './harness.js';

let srv: TestServer;
before(async () => {
  srv = await startPop3Server();
});
after(async () => {
  await srv?.cleanup();
});

/** Logs in, waiting while a just-dropped session still holds the lock (it is freed asynchronously). */
async function sessionWhenFree(user: string): Promise<RawPop3> {
  const end = Date.now() + 5000;
  for (;;) {
    const c = await RawPop3.connect(srv.ports.pop3s, true);
    const r = await c.login(user);
    if (r.startsWith('+OK')) return c;
    c.close();
    if (!r.includes('[IN-USE]') || Date.now() > end) assert.fail(r);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function imapState(user: string): Promise<{ uidvalidity: number; uids: number[]; seen: number[] }> {
  const out = await py(`
m = imap(${srv.ports.imaps}, "${user}", "pass")
typ, data = m.select("INBOX")
uv = int(m.response("UIDVALIDITY")[1][0])
typ, d = m.uid("SEARCH", None, "ALL"); uids = [int(x) for x in d[0].split()]
typ, d = m.uid("SEARCH", None, "SEEN"); seen = [int(x) for x in d[0].split()]
m.logout()
print(json.dumps({"uidvalidity": uv, "uids": uids, "seen": seen}))
`);
  return JSON.parse(out) as { uidvalidity: number; uids: number[]; seen: number[] };
}

test('DELE takes effect at QUIT only: a dropped connection deletes nothing', async () => {
  const user = newUser(srv);
  await deliver(srv, user, 3);
  const a = await session(srv, user);
  assert.match(await a.cmd('DELE 1'), /^\+OK/);
  assert.match(await a.cmd('DELE 2'), /^\+OK/);
  assert.match(await a.cmd('STAT'), /^\+OK 1 /);
  a.close();
  const b = await sessionWhenFree(user);
  assert.match(await b.cmd('STAT'), /^\+OK 3 /);
  assert.match(await b.cmd('DELE 1'), /^\+OK/);
  assert.match(await b.cmd('QUIT'), /^\+OK .*\(2 messages left\)/);
  assert.equal((await imapState(user)).uids.length, 2);
  const c = await sessionWhenFree(user);
  assert.match(await c.cmd('STAT'), /^\+OK 2 /);
  c.close();
});

test('a second concurrent session gets [IN-USE]; the lock is freed at QUIT and on a drop', async () => {
  const user = newUser(srv);
  const a = await session(srv, user);
  const b = await RawPop3.connect(srv.ports.pop3s, true);
  assert.match(await b.login(user), /^-ERR \[IN-USE\]/);
  // Still in AUTHORIZATION (RFC 1939 §4): the same connection may try again later.
  assert.match(await a.cmd('QUIT'), /^\+OK/);
  await a.waitClosed();
  assert.match(await b.login(user), /^\+OK/);
  b.close();
  const c = await sessionWhenFree(user);
  c.close();
});

test('IMAP expunges during a POP3 session: the snapshot stays, RETR of the gone message says -ERR', async () => {
  const user = newUser(srv);
  await deliver(srv, user, 3);
  const pop = await session(srv, user);
  const before = await pop.multi('UIDL');
  assert.equal(before.lines.length, 3);
  await py(`
m = imap(${srv.ports.imaps}, "${user}", "pass"); m.select("INBOX")
m.uid("STORE", "2", "+FLAGS", "(\\\\Deleted)"); m.expunge(); m.logout()
`);
  assert.match(await pop.cmd('RETR 2'), /^-ERR .*removed/);
  const r1 = await pop.multi('RETR 1');
  assert.match(r1.status, /^\+OK/);
  assert.deepEqual((await pop.multi('UIDL')).lines, before.lines);
  assert.match(await pop.cmd('DELE 2'), /^\+OK/);
  assert.match(await pop.cmd('DELE 3'), /^\+OK/);
  assert.match(await pop.cmd('QUIT'), /^\+OK/);
  const st = await imapState(user);
  assert.deepEqual(st.uids, [1]);
  // RETR made it read for IMAP clients too.
  assert.deepEqual(st.seen, [1]);
});

test('mail that arrives during a session shows at the next login', async () => {
  const user = newUser(srv);
  await deliver(srv, user, 1);
  const a = await session(srv, user);
  await deliver(srv, user, 1);
  assert.match(await a.cmd('STAT'), /^\+OK 1 /);
  assert.match(await a.cmd('QUIT'), /^\+OK/);
  const b = await sessionWhenFree(user);
  assert.match(await b.cmd('STAT'), /^\+OK 2 /);
  b.close();
});

test('UIDL is UIDVALIDITY.UID as IMAP shows it, and the same after a restart', async () => {
  const user = newUser(srv);
  await deliver(srv, user, 3);
  const list = async () => {
    const c = await sessionWhenFree(user);
    const u = await c.multi('UIDL');
    assert.match(await c.cmd('QUIT'), /^\+OK/);
    return u.lines;
  };
  const first = await list();
  const st = await imapState(user);
  assert.deepEqual(
    first,
    st.uids.map((uid, i) => `${i + 1} ${st.uidvalidity}.${uid}`),
  );
  await srv.stop();
  await srv.restart();
  assert.deepEqual(await list(), first);
});

test('a server shutdown mid-session says [SYS/TEMP], deletes nothing and leaves no lock behind', async () => {
  const user = newUser(srv);
  await deliver(srv, user, 2);
  const a = await session(srv, user);
  assert.match(await a.cmd('DELE 1'), /^\+OK/);
  const stopped = srv.stop();
  assert.match(await a.line(), /^-ERR \[SYS\/TEMP\]/);
  assert.ok(await a.waitClosed());
  await stopped;
  await srv.restart();
  const b = await RawPop3.connect(srv.ports.pop3s, true);
  assert.match(await b.login(user), /^\+OK/, 'no stale lock after a clean shutdown');
  assert.match(await b.cmd('STAT'), /^\+OK 2 /);
  b.close();
});
