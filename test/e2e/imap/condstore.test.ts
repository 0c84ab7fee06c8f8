// CONDSTORE (RFC 7162 §3.1) and QUOTA (RFC 9208) against the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, sampleMessage, startImap, type ImapServer } from './harness.js';

let srv: ImapServer;
before(async () => {
  srv = await startImap({}, 4096);
});
after(async () => {
  await srv.close();
});

async function login(): Promise<RawClient> {
  const c = await RawClient.tls(srv.ports.imaps);
  assert.match((await c.cmd(`LOGIN ${srv.user} "${srv.password}"`)).done, /OK/);
  return c;
}

test('CONDSTORE: HIGHESTMODSEQ, FETCH MODSEQ / CHANGEDSINCE, STORE UNCHANGEDSINCE, SEARCH MODSEQ', async () => {
  const c = await login();
  const m = sampleMessage('cs');
  for (let i = 0; i < 3; i++) await c.cmd(`APPEND Sent {${m.length}+}\r\n${m.toString()}`);
  let r = await c.cmd('SELECT Sent (CONDSTORE)');
  const hms = Number(/HIGHESTMODSEQ (\d+)/.exec(r.lines.join('\n'))?.[1]);
  assert.ok(hms > 0);
  r = await c.cmd('FETCH 1:* (MODSEQ)');
  const modseqs = r.lines.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)?.[1]));
  assert.equal(modseqs.length, 3);
  r = await c.cmd('STORE 2 +FLAGS (\\Seen)');
  const newMod = Number(/MODSEQ \((\d+)\)/.exec(r.lines[0]!)?.[1]);
  assert.ok(newMod > modseqs[2]!, r.lines.join('\n'));
  r = await c.cmd(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseqs[2]})`);
  assert.deepEqual(r.lines, [`* 2 FETCH (FLAGS (\\Recent \\Seen) MODSEQ (${newMod}))`]);
  r = await c.cmd(`STORE 1:2 (UNCHANGEDSINCE ${modseqs[1]}) +FLAGS (\\Flagged)`);
  assert.match(r.done, /OK \[MODIFIED 2\]/);
  r = await c.cmd(`UID SEARCH MODSEQ ${newMod}`);
  assert.match(r.lines[0]!, /^\* SEARCH 1 2 \(MODSEQ \d+\)$/);
  r = await c.cmd('STATUS Sent (HIGHESTMODSEQ)');
  assert.match(r.lines[0]!, /HIGHESTMODSEQ \d+/);
  c.close();
});

test('QUOTA: GETQUOTAROOT, and APPEND over quota gets NO [OVERQUOTA]', async () => {
  const c = await login();
  let r = await c.cmd('GETQUOTAROOT INBOX');
  assert.equal(r.lines[0], '* QUOTAROOT INBOX ""');
  assert.match(r.lines[1]!, /^\* QUOTA "" \(STORAGE \d+ 4\)$/);
  const big = Buffer.alloc(5000, 'a').toString();
  r = await c.cmd(`APPEND INBOX {${big.length}+}\r\n${big}`);
  assert.match(r.done, /NO \[OVERQUOTA\]/);
  r = await c.cmd('SETQUOTA "" (STORAGE 1)');
  assert.match(r.done, /NO/);
  c.close();
});
