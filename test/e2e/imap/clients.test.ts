// Real clients against the real server: imapflow (Node) and Python's imaplib over IMAPS, the way the
// SMTP acceptance check finds delivered mail (LOGIN, SELECT "INBOX", SEARCH SUBJECT).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { sampleMessage, startImap, type ImapServer } from './harness.js';
import { deliverToFolder } from '../../../src/core/mailbox/deliver.js';

let srv: ImapServer;
before(async () => {
  srv = await startImap();
});
after(async () => {
  await srv.close();
});

function flow(): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: srv.ports.imaps,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: srv.user, pass: srv.password },
    logger: false,
  });
}

test('imapflow: list, append, fetch, search, flags, move, delete', async () => {
  const client = flow();
  await client.connect();
  const boxes = await client.list();
  const special = Object.fromEntries(
    boxes.filter((b) => b.specialUse && b.path !== 'INBOX').map((b) => [b.specialUse, b.path]),
  );
  assert.deepEqual(special, {
    '\\Sent': 'Sent',
    '\\Drafts': 'Drafts',
    '\\Trash': 'Trash',
    '\\Junk': 'Junk',
    '\\Archive': 'Archive',
  });
  await client.mailboxCreate('Projects/Ünïcode');
  const appended = await client.append('Projects/Ünïcode', sampleMessage('From imapflow'), ['\\Seen']);
  assert.ok(appended && appended.uid === 1);
  const lock = await client.getMailboxLock('Projects/Ünïcode');
  try {
    const msgs = [];
    for await (const m of client.fetch('1:*', {
      envelope: true,
      flags: true,
      bodyStructure: true,
      source: true,
      uid: true,
    }))
      msgs.push(m);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.envelope?.subject, 'From imapflow');
    // imapflow enables IMAP4rev2, where \\Recent does not exist (RFC 9051 Appendix E).
    assert.deepEqual([...(msgs[0]!.flags ?? [])].sort(), ['\\Seen']);
    assert.equal(msgs[0]!.bodyStructure?.type, 'text/plain');
    assert.ok(msgs[0]!.source?.toString().includes('Hello there.'));
    const found = await client.search({ subject: 'imapflow' }, { uid: true });
    assert.deepEqual(found, [1]);
    await client.messageFlagsAdd({ uid: '1' }, ['\\Flagged'], { uid: true });
    const f = await client.fetchOne('1', { flags: true });
    assert.ok(f && f.flags?.has('\\Flagged'));
    const moved = await client.messageMove('1:*', 'Archive');
    assert.ok(moved && moved.uidMap && moved.uidMap.size === 1);
  } finally {
    lock.release();
  }
  const st = await client.status('Archive', { messages: true, unseen: true });
  assert.ok(st && st.messages === 1);
  await client.mailboxDelete('Projects/Ünïcode');
  await client.logout();
});

test('imapflow IDLE sees a delivery within a second', async () => {
  const client = flow();
  await client.connect();
  const lock = await client.getMailboxLock('INBOX');
  try {
    const seen = new Promise<number>((resolve) =>
      client.on('exists', (d: { count: number }) => resolve(d.count)),
    );
    const idle = client.idle();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 100));
    await deliverToFolder(srv.tc.core, srv.account.addressId, 'INBOX', sampleMessage('Pushed'));
    const count = await seen;
    assert.ok(count >= 1);
    assert.ok(Date.now() - t0 < 1500);
    void idle;
  } finally {
    lock.release();
  }
  await client.logout();
});

test('python imaplib over IMAPS: LOGIN, SELECT "INBOX", SEARCH SUBJECT, FETCH, UID ranges, APPEND', async () => {
  await deliverToFolder(srv.tc.core, srv.account.addressId, 'INBOX', sampleMessage('Acceptance probe 7f3a'));
  await deliverToFolder(
    srv.tc.core,
    srv.account.addressId,
    'NoSuchFolder',
    sampleMessage('Falls back to INBOX'),
  );
  const script = `
import imaplib, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
M = imaplib.IMAP4_SSL('127.0.0.1', ${srv.ports.imaps}, ssl_context=ctx)
M.login('${srv.user}', '${srv.password}')
typ, data = M.select('"INBOX"')
assert typ == 'OK', data
typ, data = M.search(None, 'SUBJECT', '"Acceptance probe 7f3a"')
assert typ == 'OK' and len(data[0].split()) == 1, data
num = data[0].split()[0]
typ, data = M.fetch(num, '(RFC822)')
assert b'Acceptance probe 7f3a' in data[0][1], data
typ, data = M.search(None, 'SUBJECT', 'Falls')
assert len(data[0].split()) == 1, data
typ, data = M.uid('SEARCH', None, 'UID', '1:*')
assert len(data[0].split()) >= 2, data
typ, data = M.append('Sent', '(\\\\Seen)', imaplib.Time2Internaldate(time.time()), b'Subject: sent by python\\r\\n\\r\\nhi\\r\\n')
assert typ == 'OK' and b'APPENDUID' in data[0], data
typ, data = M.status('Sent', '(MESSAGES)')
assert b'MESSAGES 1' in data[0], data
typ, data = M.uid('FETCH', '1:*', '(FLAGS)')
assert typ == 'OK', data
M.logout()
print('ok')
`;
  // Asynchronously: the server runs in this very process.
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile('python3', ['-c', script], { timeout: 20000 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }),
    );
  });
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out.trim(), 'ok');
});
