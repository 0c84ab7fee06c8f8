// QRESYNC (RFC 7162 §3.2) as a reconnecting client uses it, SORT / THREAD (RFC 5256), ESORT and
// CONTEXT=SEARCH (RFC 5267), CATENATE (RFC 4469), NOTIFY (RFC 5465) and \Recent (RFC 3501), against
// the real server.
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
  assert.match((await c.cmd(`LOGIN ${srv.user} "${srv.password}"`)).done, /OK/);
  return c;
}

function msg(subject: string, extra = ''): string {
  return sampleMessage(subject, 'x\r\n', extra).toString();
}

async function append(c: RawClient, box: string, m: string): Promise<number> {
  const r = await c.cmd(`APPEND ${box} {${Buffer.byteLength(m)}+}\r\n${m}`);
  return Number(/APPENDUID \d+ (\d+)/.exec(r.done)?.[1]);
}

test('QRESYNC: a client that reconnects learns expunges (VANISHED EARLIER) and flag changes since its MODSEQ', async () => {
  const c = await login();
  await c.cmd('CREATE Q');
  for (const s of ['a', 'b', 'c']) await append(c, 'Q', msg(s));
  let r = await c.cmd('ENABLE QRESYNC');
  assert.deepEqual(r.lines, ['* ENABLED QRESYNC']);
  r = await c.cmd('SELECT Q');
  const uv = Number(/UIDVALIDITY (\d+)/.exec(r.lines.join('\n'))?.[1]);
  const ms = Number(/HIGHESTMODSEQ (\d+)/.exec(r.lines.join('\n'))?.[1]);
  c.close();

  // Meanwhile another session expunges one message and flags another.
  const o = await login();
  await o.cmd('SELECT Q');
  await o.cmd('STORE 2 +FLAGS.SILENT (\\Deleted)');
  await o.cmd('EXPUNGE');
  await o.cmd('STORE 1 +FLAGS.SILENT (\\Flagged)');
  o.close();

  const d = await login();
  await d.cmd('ENABLE QRESYNC');
  r = await d.cmd(`SELECT Q (QRESYNC (${uv} ${ms} 1:3))`);
  assert.ok(r.lines.includes('* VANISHED (EARLIER) 2'), r.lines.join('\n'));
  assert.ok(
    r.lines.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/.test(l)),
    r.lines.join('\n'),
  );
  r = await d.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${ms} VANISHED)`);
  assert.equal(r.lines[0], '* VANISHED (EARLIER) 2');
  // Expunges reach a QRESYNC client as VANISHED, and EXPUNGE's tagged OK carries HIGHESTMODSEQ.
  await d.cmd('STORE 1 +FLAGS.SILENT (\\Deleted)');
  r = await d.cmd('EXPUNGE');
  assert.deepEqual(r.lines, ['* VANISHED 1']);
  assert.match(r.done, /OK \[HIGHESTMODSEQ \d+\]/);
  // Selecting another mailbox says the old one is closed first.
  r = await d.cmd('SELECT INBOX');
  assert.equal(r.lines[0], '* OK [CLOSED] Previous mailbox closed');
  assert.match((await d.cmd('SELECT Q (QRESYNC (1 1))')).done, /OK/);
  d.close();
});

test('SORT, ESORT, THREAD REFERENCES and ORDEREDSUBJECT', async () => {
  const c = await login();
  await c.cmd('CREATE S');
  await append(c, 'S', msg('Re: beta', 'Message-ID-X: 1\r\n'));
  await append(c, 'S', msg('alpha'));
  await append(c, 'S', msg('Fwd: Alpha'));
  await c.cmd('SELECT S');
  let r = await c.cmd('SORT (SUBJECT) UTF-8 ALL');
  assert.deepEqual(r.lines, ['* SORT 2 3 1']);
  r = await c.cmd('SORT (REVERSE SUBJECT ARRIVAL) UTF-8 ALL');
  assert.deepEqual(r.lines, ['* SORT 1 2 3']);
  r = await c.cmd('UID SORT RETURN (MIN MAX COUNT) (SUBJECT) UTF-8 ALL');
  assert.match(r.lines[0]!, /^\* ESEARCH \(TAG "T\d+"\) UID MIN 2 MAX 1 COUNT 3$/);
  r = await c.cmd('THREAD ORDEREDSUBJECT UTF-8 ALL');
  assert.deepEqual(r.lines, ['* THREAD (1)(2 3)']);
  r = await c.cmd('THREAD REFERENCES UTF-8 ALL');
  assert.deepEqual(r.lines, ['* THREAD (1)(2 3)']);
  assert.match((await c.cmd('SORT (NOSUCH) UTF-8 ALL')).done, /BAD/);
  assert.match((await c.cmd('THREAD NOSUCH UTF-8 ALL')).done, /BAD/);
  c.close();
});

test('CONTEXT=SEARCH: RETURN (UPDATE) reports ADDTO / REMOVEFROM until CANCELUPDATE', async () => {
  const c = await login();
  await c.cmd('CREATE U');
  for (const s of ['one', 'two']) await append(c, 'U', msg(s));
  await c.cmd('SELECT U');
  let r = await c.cmd('SEARCH RETURN (UPDATE) SEEN');
  const tag = /TAG "([^"]+)"/.exec(r.lines[0]!)?.[1];
  assert.ok(tag);
  r = await c.cmd('STORE 2 +FLAGS.SILENT (\\Seen)');
  assert.deepEqual(r.lines, [`* ESEARCH (TAG "${tag}") ADDTO (0 2)`]);
  r = await c.cmd('STORE 2 -FLAGS.SILENT (\\Seen)');
  assert.deepEqual(r.lines, [`* ESEARCH (TAG "${tag}") REMOVEFROM (0 2)`]);
  await c.cmd(`CANCELUPDATE "${tag}"`);
  r = await c.cmd('STORE 1 +FLAGS.SILENT (\\Seen)');
  assert.deepEqual(r.lines, []);
  r = await c.cmd('SEARCH RETURN (PARTIAL 2:5) ALL');
  assert.match(r.lines[0]!, /PARTIAL \(2:5 2\)$/);
  c.close();
});

test('CATENATE builds a message from text and a part of a stored one', async () => {
  const c = await login();
  await c.cmd('CREATE C');
  const uid = await append(c, 'C', msg('source'));
  const uv = /UIDVALIDITY (\d+)/.exec((await c.cmd('STATUS C (UIDVALIDITY)')).lines[0]!)?.[1];
  const text = 'From: x@example.org\r\nSubject: built\r\n\r\n';
  let r = await c.cmd(
    `APPEND C CATENATE (TEXT {${text.length}+}\r\n${text} URL "/C;UIDVALIDITY=${uv}/;UID=${uid}/;SECTION=TEXT")`,
  );
  assert.match(r.done, /OK \[APPENDUID \d+ 2\]/);
  await c.cmd('SELECT C');
  r = await c.cmd('FETCH 2 BODY.PEEK[]');
  assert.equal(r.lines.slice(1, 5).join('\n'), 'From: x@example.org\nSubject: built\n\nx');
  r = await c.cmd('APPEND C CATENATE (URL "/C;UIDVALIDITY=1/;UID=1")');
  assert.match(r.done, /NO \[BADURL/);
  c.close();
});

test('NOTIFY: STATUS for another folder arrives without a command; \\Recent goes to the first session', async () => {
  const a = await login();
  const b = await login();
  await a.cmd('CREATE N');
  await a.cmd('SELECT INBOX');
  let r = await a.cmd('NOTIFY SET STATUS (mailboxes N (MessageNew MessageExpunge))');
  assert.match(r.lines.join('\n'), /\* STATUS N \(MESSAGES 0 UIDNEXT 1 UIDVALIDITY \d+\)/);
  await append(b, 'N', msg('notify me'));
  assert.match(await a.readLine(2000), /^\* STATUS N \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+\)$/);
  assert.match((await a.cmd('NOTIFY SET (mailboxes N (AnnotationChange))')).done, /NO \[BADEVENT/);
  await a.cmd('NOTIFY NONE');

  // \Recent: the first session to select the folder read-write gets it; EXAMINE does not take it.
  r = await b.cmd('EXAMINE N');
  assert.ok(r.lines.includes('* 1 RECENT'));
  r = await b.cmd('SELECT N');
  assert.ok(r.lines.includes('* 1 RECENT'));
  r = await b.cmd('FETCH 1 FLAGS');
  assert.deepEqual(r.lines, ['* 1 FETCH (FLAGS (\\Recent))']);
  r = await a.cmd('SELECT N');
  assert.ok(r.lines.includes('* 0 RECENT'));
  r = await a.cmd('STATUS INBOX (RECENT)');
  assert.ok(r.lines[0]!.startsWith('* STATUS INBOX (RECENT '));
  a.close();
  b.close();
});
