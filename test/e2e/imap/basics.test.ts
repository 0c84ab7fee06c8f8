// Protocol basics against the real server: greeting, STARTTLS and LOGINDISABLED, LOGIN and
// AUTHENTICATE PLAIN, folders, APPEND/FETCH/STORE/SEARCH/COPY/MOVE/EXPUNGE over raw lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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
  const r = await c.cmd(`LOGIN ${srv.user} "${srv.password}"`);
  assert.match(r.done, /^T\d+ OK \[CAPABILITY .*IDLE.*\] Logged in/);
  return c;
}

test('plain port: LOGINDISABLED before STARTTLS, AUTH=PLAIN after (RFC 9051 §6.2)', async () => {
  const { client, greeting } = await RawClient.plain(srv.ports.imap);
  assert.match(greeting, /^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED/);
  assert.doesNotMatch(greeting, /AUTH=/);
  const l = await client.cmd(`LOGIN ${srv.user} x`);
  assert.match(l.done, /NO \[PRIVACYREQUIRED\]/);
  const st = await client.cmd('STARTTLS');
  assert.match(st.done, /OK/);
  await client.startTls();
  const cap = await client.cmd('CAPABILITY');
  assert.match(cap.lines[0]!, /AUTH=PLAIN/);
  assert.doesNotMatch(cap.lines[0]!, /STARTTLS|LOGINDISABLED/);
  const auth = await client.cmd(
    `AUTHENTICATE PLAIN ${Buffer.from(`\0${srv.user}\0${srv.password}`).toString('base64')}`,
  );
  assert.match(auth.done, /OK \[CAPABILITY/);
  client.close();
});

test('AUTHENTICATE PLAIN with a continuation, and bad credentials', async () => {
  const c = await RawClient.tls(srv.ports.imaps);
  c.write('A1 AUTHENTICATE PLAIN\r\n');
  assert.equal(await c.readLine(), '+ ');
  c.write(`${Buffer.from(`\0${srv.user}\0wrong`).toString('base64')}\r\n`);
  assert.match(await c.readLine(), /^A1 NO \[AUTHENTICATIONFAILED\]/);
  const r = await c.cmd(`LOGIN "${srv.user.toUpperCase()}" {${srv.password.length}+}\r\n${srv.password}`);
  assert.match(r.done, /OK/);
  c.close();
});

test('malformed input gets BAD, never a crash', async () => {
  const c = await RawClient.tls(srv.ports.imaps);
  for (const bad of ['FOO', 'LOGIN', 'LOGIN "unterminated', 'FETCH 1 (FLAGS', ')))', 'UID', 'SELECT']) {
    const r = await c.cmd(bad);
    assert.match(r.done, /^T\d+ BAD /, bad);
  }
  c.write('\x00\x01\x02 garbage\r\n');
  assert.match(await c.readLine(), /BAD/);
  const ok = await c.cmd('NOOP');
  assert.match(ok.done, /OK/);
  c.close();
});

test('folders: LIST with SPECIAL-USE and CHILDREN, CREATE/RENAME/DELETE, STATUS', async () => {
  const c = await login();
  let r = await c.cmd('LIST "" "*"');
  assert.ok(r.lines.includes('* LIST (\\HasNoChildren) "/" INBOX'), r.lines.join('\n'));
  assert.ok(r.lines.includes('* LIST (\\HasNoChildren \\Sent) "/" Sent'));
  assert.match((await c.cmd('CREATE "Mail List/SL-Devel"')).done, /OK/);
  r = await c.cmd('LIST "" "Mail List*"');
  assert.deepEqual(r.lines, [
    '* LIST (\\HasChildren) "/" "Mail List"',
    '* LIST (\\HasNoChildren) "/" "Mail List/SL-Devel"',
  ]);
  assert.match((await c.cmd('CREATE "Mail List"')).done, /NO \[ALREADYEXISTS\]/);
  assert.match((await c.cmd('CREATE Bücher')).done, /BAD/);
  assert.match((await c.cmd('CREATE B&APw-cher')).done, /OK/);
  r = await c.cmd('LIST "" "B*"');
  assert.deepEqual(r.lines, ['* LIST (\\HasNoChildren) "/" B&APw-cher']);
  assert.match((await c.cmd('RENAME "Mail List" Lists')).done, /OK/);
  r = await c.cmd('LIST "" "Lists/%"');
  assert.deepEqual(r.lines, ['* LIST (\\HasNoChildren) "/" Lists/SL-Devel']);
  assert.match((await c.cmd('DELETE Lists')).done, /OK/);
  r = await c.cmd('LIST "" "%"');
  assert.ok(r.lines.includes('* LIST (\\Noselect \\HasChildren) "/" Lists'), r.lines.join('\n'));
  r = await c.cmd('STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ)');
  assert.match(
    r.lines[0]!,
    /^\* STATUS INBOX \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+ UNSEEN 0 SIZE 0 HIGHESTMODSEQ \d+\)$/,
  );
  r = await c.cmd('LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES))');
  assert.equal(r.lines.filter((l) => l.startsWith('* LIST')).length, 5);
  assert.equal(r.lines.filter((l) => l.startsWith('* STATUS')).length, 5);
  assert.match((await c.cmd('CREATE MyStuff (USE (\\Archive))')).done, /NO \[USEATTR\]/);
  c.close();
});

test('APPEND, SELECT, FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE', async () => {
  const c = await login();
  const msg = sampleMessage('First message');
  c.write(`A1 APPEND INBOX (\\Flagged) {${msg.length}}\r\n`);
  assert.match(await c.readLine(), /^\+ /);
  c.write(msg);
  c.write('\r\n');
  assert.match(await c.readLine(), /^A1 OK \[APPENDUID \d+ 1\]/);
  const msg2 = sampleMessage('Second =?UTF-8?B?w7xiZXI=?= one', 'Body with needle inside\r\n');
  const r2 = await c.cmd(`APPEND INBOX {${msg2.length}+}\r\n${msg2.toString()}`);
  assert.match(r2.done, /OK \[APPENDUID \d+ 2\]/);
  let r = await c.cmd('SELECT INBOX');
  assert.ok(r.lines.includes('* 2 EXISTS'));
  assert.ok(r.lines.some((l) => /^\* OK \[UIDNEXT 3\]/.test(l)));
  assert.ok(r.lines.some((l) => /^\* OK \[UNSEEN 1\]/.test(l)));
  assert.match(r.done, /OK \[READ-WRITE\]/);
  r = await c.cmd('FETCH 1:* (UID FLAGS RFC822.SIZE)');
  assert.deepEqual(r.lines, [
    // Both are \\Recent: this is the first session to see them (RFC 3501 §2.3.2).
    `* 1 FETCH (UID 1 FLAGS (\\Recent \\Flagged) RFC822.SIZE ${msg.length})`,
    `* 2 FETCH (UID 2 FLAGS (\\Recent) RFC822.SIZE ${msg2.length})`,
  ]);
  r = await c.cmd('FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject)] ENVELOPE)');
  assert.equal(r.lines[0], '* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {26}');
  assert.equal(r.lines[1], 'Subject: First message');
  assert.match(
    r.lines[3]!,
    /ENVELOPE \("Mon, 7 Feb 2022 21:52:25 -0800" "First message" \(\("Bob Example" NIL "bob" "example.org"\)\)/,
  );
  r = await c.cmd('FETCH 2 (BODY[TEXT]<5.4>)');
  assert.equal(r.lines[0], '* 2 FETCH (BODY[TEXT]<5> {4}');
  assert.equal(r.lines[1], 'with FLAGS (\\Recent \\Seen))');
  r = await c.cmd('FETCH 2 BODYSTRUCTURE');
  assert.match(
    r.lines[0]!,
    /BODYSTRUCTURE \("text" "plain" \("charset" "us-ascii"\) NIL NIL "7bit" 25 1 NIL NIL NIL NIL\)/,
  );
  r = await c.cmd('SEARCH SUBJECT "über"');
  assert.deepEqual(r.lines, ['* SEARCH 2']);
  r = await c.cmd('UID SEARCH BODY needle');
  assert.deepEqual(r.lines, ['* SEARCH 2']);
  r = await c.cmd('SEARCH FLAGGED');
  assert.deepEqual(r.lines, ['* SEARCH 1']);
  r = await c.cmd('SEARCH RETURN (MIN MAX COUNT) ALL');
  assert.match(r.lines[0]!, /^\* ESEARCH \(TAG "T\d+"\) MIN 1 MAX 2 COUNT 2$/);
  r = await c.cmd('STORE 1 +FLAGS (\\Deleted $Work)');
  assert.ok(r.lines.includes('* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)'));
  assert.ok(r.lines.includes('* 1 FETCH (FLAGS (\\Recent \\Flagged \\Deleted $Work))'), r.lines.join('\n'));
  r = await c.cmd('UID STORE 2 FLAGS.SILENT (\\Answered)');
  assert.deepEqual(r.lines, []);
  r = await c.cmd('COPY 1:2 Archive');
  assert.match(r.done, /OK \[COPYUID \d+ 1:2 1:2\]/);
  r = await c.cmd('UID MOVE 2 Trash');
  assert.match(r.lines[0]!, /^\* OK \[COPYUID \d+ 2 1\]/);
  assert.equal(r.lines[1], '* 2 EXPUNGE');
  r = await c.cmd('EXPUNGE');
  // The expunged message was \\Recent here: the count the client was given changes (RFC 3501 §7.3.2).
  assert.deepEqual(r.lines, ['* 1 EXPUNGE', '* 0 RECENT']);
  r = await c.cmd('STATUS Archive (MESSAGES)');
  assert.equal(r.lines[0], '* STATUS Archive (MESSAGES 2)');
  assert.match((await c.cmd('APPEND Nowhere {1+}\r\nx')).done, /NO \[TRYCREATE\]/);
  assert.match((await c.cmd('LOGOUT')).lines[0]!, /BYE/);
  c.close();
});

test('two sessions: EXISTS, FETCH FLAGS and EXPUNGE reach the other one, never during FETCH', async () => {
  const a = await login();
  const b = await login();
  await a.cmd('SELECT Drafts');
  await b.cmd('SELECT Drafts');
  const m = sampleMessage('Draft');
  await a.cmd(`APPEND Drafts {${m.length}+}\r\n${m.toString()}`);
  await a.cmd(`APPEND Drafts {${m.length}+}\r\n${m.toString()}`);
  let r = await b.cmd('NOOP');
  // Session a saw the new messages first (its APPENDs), so they are \\Recent there, not here.
  assert.deepEqual(r.lines, ['* 2 EXISTS', '* 0 RECENT']);
  await a.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)');
  await a.cmd('EXPUNGE');
  r = await b.cmd('FETCH 1:2 (FLAGS)');
  assert.ok(!r.lines.some((l) => /EXPUNGE/.test(l)), r.lines.join('\n'));
  r = await b.cmd('NOOP');
  assert.deepEqual(r.lines, ['* 1 EXPUNGE']);
  await a.cmd('STORE 1 +FLAGS (\\Seen)');
  r = await b.cmd('NOOP');
  assert.deepEqual(r.lines, ['* 1 FETCH (UID 2 FLAGS (\\Seen))']);
  a.close();
  b.close();
});

test("a session that IDLEd earlier and logs out does not stop another session's IDLE", async () => {
  // The first session's subscription, stopped at DONE, used to be stopped a second time at logout,
  // which dropped whatever subscriptions the address had by then: the second IDLE never woke.
  const a = await login();
  const b = await login();
  const c = await login();
  assert.match((await c.cmd('CREATE IdleAfterLogout')).done, /OK/);
  await a.cmd('SELECT IdleAfterLogout');
  a.write('I1 IDLE\r\n');
  assert.equal(await a.readLine(), '+ idling');
  a.write('DONE\r\n');
  assert.match(await a.readLine(), /^I1 OK/);
  await b.cmd('SELECT IdleAfterLogout');
  b.write('I2 IDLE\r\n');
  assert.equal(await b.readLine(), '+ idling');
  assert.match((await a.cmd('LOGOUT')).done, /OK/);
  if (!a.socket.closed) await new Promise<void>((resolve) => a.socket.once('close', () => resolve()));
  const m = sampleMessage('After logout');
  await c.cmd(`APPEND IdleAfterLogout {${m.length}+}\r\n${m.toString()}`);
  assert.equal(await b.readLine(1000), '* 1 EXISTS');
  assert.equal(await b.readLine(1000), '* 1 RECENT');
  b.write('DONE\r\n');
  assert.match(await b.readLine(), /^I2 OK/);
  b.close();
  c.close();
});

test('IDLE wakes on a change from another session', async () => {
  const a = await login();
  const b = await login();
  await a.cmd('SELECT Junk');
  a.write('I1 IDLE\r\n');
  assert.equal(await a.readLine(), '+ idling');
  const m = sampleMessage('Spam');
  await b.cmd(`APPEND Junk {${m.length}+}\r\n${m.toString()}`);
  assert.equal(await a.readLine(1000), '* 1 EXISTS');
  assert.equal(await a.readLine(1000), '* 1 RECENT');
  a.write('DONE\r\n');
  assert.match(await a.readLine(), /^I1 OK/);
  a.close();
  b.close();
});
