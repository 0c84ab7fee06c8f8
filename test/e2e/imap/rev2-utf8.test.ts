// IMAP4rev2 (RFC 9051, turned on with ENABLE; Appendix E lists what changes) and UTF8=ACCEPT (RFC 6855)
// against the real server: raw protocol checks, and imapflow, which enables both when advertised.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { RawClient, sampleMessage, startImap, type ImapServer } from './harness.js';

let srv: ImapServer;
before(async () => {
  srv = await startImap();
});
after(async () => {
  await srv.close();
});

async function login(): Promise<RawClient> {
  const c = await RawClient.tls(srv.ports.imaps);
  assert.match((await c.cmd(`LOGIN ${srv.user} "${srv.password}"`)).done, /OK/);
  return c;
}

/** APPEND with a non-synchronising literal; `utf8` wraps it as RFC 6855's "UTF8 (~{n+})". */
async function append(c: RawClient, box: string, m: Buffer, utf8 = false): Promise<string> {
  const lit = `{${m.length}+}\r\n`;
  const head = Buffer.from(`T0 APPEND ${box} ${utf8 ? `UTF8 (~${lit}` : lit}`);
  const tag = `A${Math.random().toString(36).slice(2, 8)}`;
  c.write(Buffer.concat([Buffer.from(tag), head.subarray(2), m, Buffer.from(utf8 ? ')\r\n' : '\r\n')]));
  for (;;) {
    const line = await c.readLine();
    if (line.startsWith(`${tag} `)) return line;
  }
}

test('capabilities: IMAP4rev1 and IMAP4rev2 both, UTF8=ACCEPT once logged in', async () => {
  const c = await RawClient.tls(srv.ports.imaps);
  let r = await c.cmd('CAPABILITY');
  assert.match(r.lines[0]!, /^\* CAPABILITY IMAP4rev1 IMAP4rev2 /);
  await c.cmd(`LOGIN ${srv.user} "${srv.password}"`);
  r = await c.cmd('CAPABILITY');
  assert.match(r.lines[0]!, / UTF8=ACCEPT/);
  c.close();
});

test('rev2: SELECT without RECENT/UNSEEN but with LIST, SEARCH answers ESEARCH, no \\Recent anywhere', async () => {
  const c = await login();
  await c.cmd('CREATE R2');
  await c.cmd('CREATE R2/child');
  for (const s of ['one', 'two']) await append(c, 'R2', sampleMessage(s));
  let r = await c.cmd('ENABLE IMAP4rev2');
  assert.deepEqual(r.lines, ['* ENABLED IMAP4rev2']);
  r = await c.cmd('SELECT R2');
  const text = r.lines.join('\n');
  assert.ok(r.lines.includes('* 2 EXISTS'), text);
  assert.doesNotMatch(text, /RECENT|UNSEEN/);
  assert.ok(r.lines.includes('* LIST (\\HasChildren) "/" "R2"'), text);
  assert.match(r.done, /OK \[READ-WRITE\]/);

  r = await c.cmd('SEARCH ALL');
  assert.match(r.lines.join('\n'), /^\* ESEARCH \(TAG "T\d+"\) ALL 1:2$/);
  r = await c.cmd('UID SEARCH SUBJECT two');
  assert.match(r.lines.join('\n'), /^\* ESEARCH \(TAG "T\d+"\) UID ALL \d+$/);
  r = await c.cmd('SEARCH SUBJECT nothing-like-this');
  assert.match(r.lines.join('\n'), /^\* ESEARCH \(TAG "T\d+"\)$/);
  // \Recent is gone from rev2 (RFC 9051 Appendix E): never in FLAGS, and the RECENT key does not exist.
  r = await c.cmd('FETCH 1:* (FLAGS)');
  assert.ok(
    r.lines.every((l) => !l.includes('\\Recent')),
    r.lines.join('\n'),
  );
  assert.match((await c.cmd('SEARCH RECENT')).done, /^T\d+ BAD /);

  // A message from another session: EXISTS, no RECENT.
  const o = await login();
  await append(o, 'R2', sampleMessage('three'));
  r = await c.cmd('NOOP');
  assert.deepEqual(r.lines, ['* 3 EXISTS']);
  // Selecting again closes the previous mailbox with [CLOSED] (RFC 9051 §6.3.2).
  r = await c.cmd('EXAMINE R2/child');
  assert.equal(r.lines[0], '* OK [CLOSED] Previous mailbox closed');
  assert.ok(r.lines.includes('* LIST (\\HasNoChildren) "/" "R2/child"'), r.lines.join('\n'));

  // The rev2 session claimed no \Recent: a rev1 session still sees all three as recent.
  r = await o.cmd('SELECT R2');
  assert.ok(r.lines.includes('* 3 RECENT'), r.lines.join('\n'));
  assert.ok(r.lines.some((l) => /^\* OK \[UNSEEN 1\]/.test(l)));
  c.close();
  o.close();
});

test('rev2 is strict: what RFC 9051 removed is BAD after ENABLE IMAP4rev2, and all still works in rev1', async () => {
  const c = await login();
  await c.cmd('CREATE Strict');
  await c.cmd('SUBSCRIBE Strict');
  await append(c, 'Strict', sampleMessage('strict'));
  // The same commands in an IMAP4rev1 session first: unchanged.
  let r = await c.cmd('LSUB "" "Str*"');
  assert.deepEqual(r.lines, ['* LSUB () "/" Strict']);
  assert.match(r.done, /OK/);
  r = await c.cmd('STATUS Strict (MESSAGES RECENT)');
  assert.deepEqual(r.lines, ['* STATUS Strict (MESSAGES 1 RECENT 1)']);
  await c.cmd('SELECT Strict');
  assert.match((await c.cmd('CHECK')).done, /OK/);
  r = await c.cmd('SEARCH NEW');
  assert.deepEqual(r.lines, ['* SEARCH 1']);
  r = await c.cmd('FETCH 1 (RFC822.HEADER RFC822.SIZE)');
  assert.match(r.lines[0]!, /^\* 1 FETCH \(RFC822\.HEADER \{\d+\}$/);
  await c.cmd('UNSELECT');

  r = await c.cmd('ENABLE IMAP4rev2');
  assert.deepEqual(r.lines, ['* ENABLED IMAP4rev2']);
  // Commands that are not in IMAP4rev2: unknown, with what to use instead.
  r = await c.cmd('LSUB "" "*"');
  assert.deepEqual(r.lines, []);
  assert.match(r.done, /^T\d+ BAD .*LIST \(SUBSCRIBED\)/);
  r = await c.cmd('LIST (SUBSCRIBED) "" "Str*"');
  assert.deepEqual(r.lines, ['* LIST (\\HasNoChildren \\Subscribed) "/" "Strict"']);
  // STATUS RECENT went with \Recent, in STATUS and in LIST-STATUS.
  assert.match((await c.cmd('STATUS Strict (MESSAGES RECENT)')).done, /^T\d+ BAD /);
  assert.match((await c.cmd('LIST "" "Strict" RETURN (STATUS (RECENT))')).done, /^T\d+ BAD /);
  r = await c.cmd('STATUS Strict (MESSAGES UNSEEN)');
  assert.deepEqual(r.lines, ['* STATUS "Strict" (MESSAGES 1 UNSEEN 1)']);
  r = await c.cmd('SELECT Strict');
  assert.match(r.done, /OK/);
  r = await c.cmd('CHECK');
  assert.match(r.done, /^T\d+ BAD .*NOOP/);
  for (const key of ['RECENT', 'NEW', 'OLD', 'NOT NEW', 'OR SEEN OLD', '(UNSEEN RECENT)']) {
    assert.match((await c.cmd(`SEARCH ${key}`)).done, /^T\d+ BAD /, key);
    assert.match((await c.cmd(`UID SORT (DATE) UTF-8 ${key}`)).done, /^T\d+ BAD /, key);
  }
  assert.match((await c.cmd('THREAD REFERENCES UTF-8 NEW')).done, /^T\d+ BAD /);
  // RFC822, RFC822.HEADER and RFC822.TEXT are gone; RFC822.SIZE and the macros stay.
  for (const item of ['RFC822', 'RFC822.HEADER', 'RFC822.TEXT', '(UID RFC822.TEXT)']) {
    assert.match((await c.cmd(`FETCH 1 ${item}`)).done, /^T\d+ BAD .*BODY\[\]/, item);
    assert.match((await c.cmd(`UID FETCH 1:* ${item}`)).done, /^T\d+ BAD /, item);
  }
  r = await c.cmd('FETCH 1 (RFC822.SIZE)');
  assert.match(r.lines[0]!, /^\* 1 FETCH \(RFC822\.SIZE \d+\)$/);
  r = await c.cmd('FETCH 1 FAST');
  assert.match(r.lines[0]!, /^\* 1 FETCH \(FLAGS \(\) INTERNALDATE ".*" RFC822\.SIZE \d+\)$/);
  r = await c.cmd('SEARCH UNSEEN');
  assert.deepEqual(
    r.lines.map((l) => l.replace(/"T\d+"/, '"T"')),
    ['* ESEARCH (TAG "T") ALL 1'],
  );
  // A refused command changed nothing: the session goes on.
  assert.match((await c.cmd('NOOP')).done, /OK/);

  // Another session that stays IMAP4rev1 keeps every rev1 form.
  const o = await login();
  r = await o.cmd('LSUB "" "Str*"');
  assert.deepEqual(r.lines, ['* LSUB () "/" Strict']);
  await o.cmd('EXAMINE Strict');
  assert.match((await o.cmd('CHECK')).done, /OK/);
  r = await o.cmd('SEARCH RECENT');
  assert.match(r.lines[0]!, /^\* SEARCH/);
  r = await o.cmd('FETCH 1 (RFC822.TEXT)');
  assert.match(r.lines[0]!, /^\* 1 FETCH \(RFC822\.TEXT \{\d+\}$/);
  c.close();
  o.close();
});

test('python imaplib with IMAP4rev2 enabled: LSUB and CHECK refused, their rev2 replacements answered', async () => {
  const script = `
import imaplib, ssl
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
M = imaplib.IMAP4_SSL('127.0.0.1', ${srv.ports.imaps}, ssl_context=ctx)
M.login(${JSON.stringify(srv.user)}, ${JSON.stringify(srv.password)})
print('rev1-lsub', M.lsub()[0])
print('enable', M._simple_command('ENABLE', 'IMAP4rev2')[0], M.untagged_responses.pop('ENABLED', None))
try:
    M.lsub()
    print('lsub', 'OK')
except imaplib.IMAP4.error as e:
    print('lsub', 'BAD')
print('list-subscribed', M.list('""', '*')[0])
M.select('INBOX')
try:
    M.check()
    print('check', 'OK')
except imaplib.IMAP4.error as e:
    print('check', 'BAD')
print('noop', M.noop()[0])
M.logout()
`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile('python3', ['-c', script], { timeout: 20000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
  assert.deepEqual(out.trim().split('\n'), [
    'rev1-lsub OK',
    "enable OK [b'IMAP4rev2']",
    'lsub BAD',
    'list-subscribed OK',
    'check BAD',
    'noop OK',
  ]);
});

test('ENABLE IMAP4rev2 / UTF8=ACCEPT while a mailbox is selected is left off (authenticated state only)', async () => {
  const c = await login();
  await c.cmd('SELECT INBOX');
  const r = await c.cmd('ENABLE IMAP4rev2 UTF8=ACCEPT CONDSTORE');
  assert.equal(r.lines[0], '* ENABLED CONDSTORE');
  c.close();
});

test('UTF8=ACCEPT: UTF-8 mailbox names both ways, modified UTF-7 for rev1 clients', async () => {
  const c = await login();
  let r = await c.cmd('ENABLE UTF8=ACCEPT');
  assert.deepEqual(r.lines, ['* ENABLED UTF8=ACCEPT']);
  assert.match((await c.cmd('CREATE "Größe/日本"')).done, /OK/);
  r = await c.cmd('LIST "" "Gr*"');
  assert.deepEqual(r.lines, [
    '* LIST (\\HasChildren) "/" "Größe"',
    '* LIST (\\HasNoChildren) "/" "Größe/日本"',
  ]);
  r = await c.cmd('STATUS "Größe/日本" (MESSAGES)');
  assert.deepEqual(r.lines, ['* STATUS "Größe/日本" (MESSAGES 0)']);
  assert.match((await c.cmd('SELECT "Größe/日本"')).done, /OK/);

  // A rev1 client sees (and names) the same folder in modified UTF-7 (RFC 3501 §5.1.3).
  const o = await login();
  r = await o.cmd('LIST "" "Gr*"');
  assert.deepEqual(r.lines, [
    '* LIST (\\HasChildren) "/" Gr&APYA3w-e',
    '* LIST (\\HasNoChildren) "/" Gr&APYA3w-e/&ZeVnLA-',
  ]);
  // 8-bit in a rev1 mailbox name is a syntax error.
  assert.match((await o.cmd('SELECT "Größe"')).done, /BAD/);

  // Octets that are not UTF-8 in a quoted string are BAD (RFC 6855 §3).
  c.write(Buffer.concat([Buffer.from('X1 SELECT "Gr'), Buffer.from([0xf6]), Buffer.from('e"\r\n')]));
  assert.match(await c.readLine(), /^X1 BAD/);
  // No CHARSET once UTF-8 is on (RFC 6855 §3).
  assert.match((await c.cmd('SEARCH CHARSET UTF-8 ALL')).done, /BAD/);
  // Control and separator characters are not allowed in names (Net-Unicode, RFC 5198).
  assert.match((await c.cmd('CREATE "a\u2028b"')).done, /NO/);
  c.close();
  o.close();
});

test('UTF-8 headers: APPEND UTF8 (...), ENVELOPE in UTF-8 for UTF-8 clients, encoded words for rev1', async () => {
  const subject = 'Grüße aus Köln';
  const m = Buffer.from(sampleMessage(subject).toString(), 'utf8');
  const c = await login();
  await c.cmd('CREATE U8');
  // Before ENABLE: the UTF8 item is a BAD, an 8-bit header a NO (RFC 6855 §4).
  assert.match(await append(c, 'U8', m, true), /BAD/);
  assert.match(await append(c, 'U8', m), /NO \[CANNOT\]/);
  await c.cmd('ENABLE UTF8=ACCEPT');
  assert.match(await append(c, 'U8', m, true), /OK \[APPENDUID \d+ 1\]/);
  assert.match(await append(c, 'U8', m), /OK \[APPENDUID \d+ 2\]/);
  await c.cmd('SELECT U8');
  let r = await c.cmd('FETCH 1 (ENVELOPE)');
  assert.ok(r.lines[0]!.includes(`"${subject}"`), r.lines[0]);

  const o = await login();
  await o.cmd('SELECT U8');
  r = await o.cmd('FETCH 1 (ENVELOPE)');
  assert.ok(r.lines[0]!.includes('"=?UTF-8?B?'), r.lines[0]);
  r = await o.cmd('FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])');
  assert.ok(r.lines.join('\n').includes(subject), 'the stored message is unchanged');
  c.close();
  o.close();
});

test('imapflow enables IMAP4rev2 and UTF8=ACCEPT and works through them', async () => {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: srv.ports.imaps,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: srv.user, pass: srv.password },
    logger: false,
  });
  await client.connect();
  assert.ok(client.enabled.has('IMAP4REV2'), [...client.enabled].join(' '));
  assert.ok(client.enabled.has('UTF8=ACCEPT'));
  await client.mailboxCreate('Reisen/Zürich');
  const boxes = await client.list();
  assert.ok(boxes.some((b) => b.path === 'Reisen/Zürich'));
  await client.append('Reisen/Zürich', sampleMessage('Grüezi mitenand'), ['\\Seen']);
  await client.append('Reisen/Zürich', sampleMessage('plain'));
  const lock = await client.getMailboxLock('Reisen/Zürich');
  try {
    assert.equal((client.mailbox as { exists: number }).exists, 2);
    assert.deepEqual(await client.search({ seen: false }), [2]);
    assert.deepEqual(await client.search({ subject: 'Grüezi' }, { uid: true }), [1]);
    const msg = await client.fetchOne('1', { envelope: true, flags: true });
    assert.ok(msg);
    assert.equal(msg.envelope?.subject, 'Grüezi mitenand');
    assert.ok(!msg.flags?.has('\\Recent'));
  } finally {
    lock.release();
  }
  const st = await client.status('Reisen/Zürich', { messages: true, unseen: true });
  assert.ok(st);
  assert.equal(st.messages, 2);
  assert.equal(st.unseen, 1);
  await client.logout();
});
