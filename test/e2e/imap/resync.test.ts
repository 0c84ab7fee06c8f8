// Thunderbird-style offline resynchronisation (RFC 7162) against the real server: a client syncs a
// folder and goes away; another session then delivers new mail, changes flags and keywords, and
// expunges (including a message that arrives and goes while the client is away); the client comes
// back and catches up with only what changed — with QRESYNC (SELECT ... (QRESYNC ...): VANISHED
// (EARLIER) plus FETCH of the changed flags) or with CONDSTORE alone (CHANGEDSINCE plus a UID search
// for what is gone) — and its copy must then equal the server's state exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import { RawClient, sampleMessage, startImap, type ImapServer } from './harness.js';

let srv: ImapServer;
before(async () => {
  srv = await startImap();
});
after(async () => {
  await srv.close();
});

type Cache = Map<number, string[]>;

function flow(qresync: boolean): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: srv.ports.imaps,
    secure: true,
    tls: { rejectUnauthorized: false },
    auth: { user: srv.user, pass: srv.password },
    logger: false,
    qresync,
  });
}

async function login(): Promise<RawClient> {
  const c = await RawClient.tls(srv.ports.imaps);
  assert.match((await c.cmd(`LOGIN ${srv.user} "${srv.password}"`)).done, /OK/);
  return c;
}

const norm = (flags: Iterable<string>): string[] => [...flags].filter((f) => f !== '\\Recent').sort();

/** Flags and MODSEQ of one FETCH response line: [seq, uid, flags, modseq]. */
function parseFetch(line: string): [number, number, string[], number] {
  const m = /^\* (\d+) FETCH \((.*)\)$/.exec(line);
  assert.ok(m, line);
  const uid = Number(/UID (\d+)/.exec(m[2]!)?.[1]);
  const flags = /FLAGS \(([^)]*)\)/.exec(m[2]!)?.[1] ?? '';
  const modseq = Number(/MODSEQ \((\d+)\)/.exec(m[2]!)?.[1] ?? 0);
  return [Number(m[1]), uid, norm(flags.split(' ').filter(Boolean)), modseq];
}

/** The folder as the server has it now, read by a separate session: UID -> flags, and HIGHESTMODSEQ. */
async function serverState(
  box: string,
): Promise<{ state: Cache; highestModseq: number; uidValidity: number }> {
  const c = await login();
  const sel = await c.cmd(`EXAMINE ${box} (CONDSTORE)`);
  const text = sel.lines.join('\n');
  const highestModseq = Number(/HIGHESTMODSEQ (\d+)/.exec(text)?.[1]);
  const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(text)?.[1]);
  const state: Cache = new Map();
  if (!sel.lines.includes('* 0 EXISTS')) {
    for (const l of (await c.cmd('UID FETCH 1:* (FLAGS)')).lines) {
      const [, uid, flags] = parseFetch(l);
      state.set(uid, flags);
    }
  }
  c.close();
  return { state, highestModseq, uidValidity };
}

const sorted = (m: Cache): Array<[number, string[]]> => [...m.entries()].sort((a, b) => a[0] - b[0]);

async function append(c: RawClient, box: string, subject: string, flags = ''): Promise<number> {
  const m = sampleMessage(subject).toString();
  const r = await c.cmd(`APPEND ${box} (${flags}) {${Buffer.byteLength(m)}+}\r\n${m}`);
  const uid = Number(/APPENDUID \d+ (\d+)/.exec(r.done)?.[1]);
  assert.ok(uid > 0, r.done);
  return uid;
}

/**
 * What happens while the client is away, from another (IMAP4rev1) session: flags set and cleared, a
 * keyword, two expunges, a flag change on a message that is then expunged, a change that is undone
 * (its MODSEQ still moves), two new messages, and one that arrives and is expunged again.
 */
async function changeWhileAway(
  box: string,
  uids: number[],
): Promise<{ expunged: number[]; changed: number[] }> {
  const [, u2, u3, u4, u5, u6, u7] = uids as [number, number, number, number, number, number, number];
  const o = await login();
  assert.match((await o.cmd(`SELECT ${box}`)).done, /OK/);
  await o.cmd(`UID STORE ${u2} +FLAGS.SILENT (\\Flagged)`);
  await o.cmd(`UID STORE ${u3} -FLAGS.SILENT (\\Seen)`);
  await o.cmd(`UID STORE ${u4} +FLAGS.SILENT ($Label1 \\Answered)`);
  await o.cmd(`UID STORE ${u5} +FLAGS.SILENT (\\Flagged)`);
  await o.cmd(`UID STORE ${u5},${u7} +FLAGS.SILENT (\\Deleted)`);
  assert.match((await o.cmd(`UID EXPUNGE ${u5},${u7}`)).done, /OK/);
  await o.cmd(`UID STORE ${u6} +FLAGS.SILENT (\\Draft)`);
  await o.cmd(`UID STORE ${u6} -FLAGS.SILENT (\\Draft)`);
  await append(o, box, 'new one');
  await append(o, box, 'new two', '\\Seen');
  const gone = await append(o, box, 'here and gone');
  await o.cmd(`UID STORE ${gone} +FLAGS.SILENT (\\Deleted)`);
  await o.cmd(`UID EXPUNGE ${gone}`);
  o.close();
  return { expunged: [u5, u7], changed: [u2, u3, u4, u6] };
}

async function seed(box: string, n: number): Promise<number[]> {
  const c = await login();
  assert.match((await c.cmd(`CREATE ${box}`)).done, /OK/);
  const uids: number[] = [];
  for (let i = 1; i <= n; i++) uids.push(await append(c, box, `message ${i}`, i % 2 ? '\\Seen' : ''));
  c.close();
  return uids;
}

test('imapflow with QRESYNC: reconnect, apply VANISHED (EARLIER) and FETCH FLAGS, fetch the new mail: equal to the server', async () => {
  const box = 'SyncQ';
  const uids = await seed(box, 8);

  // First session: full sync, remember UIDVALIDITY and HIGHESTMODSEQ, go away.
  const a = flow(true);
  await a.connect();
  assert.ok(a.enabled.has('QRESYNC'), [...a.enabled].join(' '));
  const cache: Cache = new Map();
  let lock = await a.getMailboxLock(box);
  for await (const m of a.fetch('1:*', { uid: true, flags: true })) cache.set(m.uid, norm(m.flags ?? []));
  const mailbox = a.mailbox as { uidValidity: bigint; highestModseq: bigint };
  const { uidValidity, highestModseq } = mailbox;
  lock.release();
  await a.logout();
  assert.deepEqual([...cache.keys()], uids);

  const { expunged, changed } = await changeWhileAway(box, uids);

  // Reconnect: SELECT with QRESYNC; imapflow turns VANISHED and FETCH into events.
  const b = flow(true);
  const vanished: number[] = [];
  const flagChanges = new Map<number, string[]>();
  b.on('expunge', (e: { uid?: number; vanished: boolean; earlier?: boolean }) => {
    assert.ok(e.vanished && e.earlier && e.uid, JSON.stringify(e));
    vanished.push(e.uid);
  });
  b.on('flags', (e: { uid?: number; flags: Set<string> }) => {
    assert.ok(e.uid, 'a QRESYNC FETCH names its UID');
    flagChanges.set(e.uid, norm(e.flags));
  });
  await b.connect();
  lock = await b.getMailboxLock(box, { uidValidity, changedSince: highestModseq });
  try {
    const known = new Set(cache.keys());
    // Every message the client knew and that is gone is reported; whatever else VANISHED names was
    // never known to the client (the message that came and went) and is not on the server either.
    assert.deepEqual(
      vanished.filter((u) => known.has(u)).sort((x, y) => x - y),
      expunged,
    );
    // Of the messages the client knew, exactly the survivors whose flags changed come as FETCH;
    // untouched ones do not. Without known UIDs the new messages (changed since, too) come as well.
    const top = Math.max(...known);
    assert.deepEqual(
      [...flagChanges.keys()].filter((u) => known.has(u)).sort((x, y) => x - y),
      changed,
    );
    assert.ok([...flagChanges.keys()].every((u) => known.has(u) || u > top));
    for (const u of vanished) cache.delete(u);
    for (const [u, f] of flagChanges) if (cache.has(u)) cache.set(u, f);
    // New mail: everything above the highest UID the client knew.
    for await (const m of b.fetch(`${top + 1}:*`, { uid: true, flags: true }, { uid: true })) {
      if (m.uid > top) cache.set(m.uid, norm(m.flags ?? []));
    }
    const now = await serverState(box);
    for (const u of vanished) assert.ok(!now.state.has(u), `UID ${u} reported vanished but still there`);
    assert.deepEqual(sorted(cache), sorted(now.state));
    assert.equal((b.mailbox as { highestModseq: bigint }).highestModseq, BigInt(now.highestModseq));
    assert.equal(cache.size, 8 - 2 + 2);
  } finally {
    lock.release();
  }
  await b.logout();
});

test('raw QRESYNC: known UIDs and sequence match data, VANISHED (EARLIER) and FETCH exactly; no changes, wrong UIDVALIDITY', async () => {
  const box = 'SyncR';
  const uids = await seed(box, 8);
  const c = await login();
  assert.deepEqual((await c.cmd('ENABLE QRESYNC')).lines, ['* ENABLED QRESYNC']);
  let r = await c.cmd(`SELECT ${box}`);
  const uv = Number(/UIDVALIDITY (\d+)/.exec(r.lines.join('\n'))?.[1]);
  const ms = Number(/HIGHESTMODSEQ (\d+)/.exec(r.lines.join('\n'))?.[1]);
  const cache: Cache = new Map();
  for (const l of (await c.cmd('UID FETCH 1:* (FLAGS)')).lines) {
    const [, uid, flags] = parseFetch(l);
    cache.set(uid, flags);
  }
  c.close();

  const { expunged, changed } = await changeWhileAway(box, uids);
  const now = await serverState(box);

  const d = await login();
  await d.cmd('ENABLE QRESYNC');
  // Known UIDs, and which UIDs the client had at sequence numbers 1, 3 and 5 (RFC 7162 §3.2.5).
  const known = `${uids[0]}:${uids[7]}`;
  r = await d.cmd(`SELECT ${box} (QRESYNC (${uv} ${ms} ${known} (1,3,5 ${uids[0]},${uids[2]},${uids[4]})))`);
  assert.match(r.done, /OK \[READ-WRITE\]/);
  const vanishedLines = r.lines.filter((l) => l.startsWith('* VANISHED'));
  // Only UIDs inside the known set: the message that came and went (above it) is not named.
  assert.deepEqual(vanishedLines, [`* VANISHED (EARLIER) ${expunged.join(',')}`]);
  assert.ok(!r.lines.some((l) => /^\* \d+ EXPUNGE/.test(l)), 'no EXPUNGE with QRESYNC');
  const fetches = r.lines.filter((l) => / FETCH \(/.test(l)).map(parseFetch);
  assert.deepEqual(
    fetches.map((f) => f[1]),
    changed,
  );
  // The server's sequence numbers after the expunges, and each change's flags and a MODSEQ above
  // what the client had; the client can apply them by UID alone.
  const order = [...now.state.keys()].sort((x, y) => x - y);
  for (const [seq, uid, flags, modseq] of fetches) {
    assert.equal(seq, order.indexOf(uid) + 1, `sequence number of UID ${uid}`);
    assert.deepEqual(flags, now.state.get(uid));
    assert.ok(modseq > ms);
    cache.set(uid, flags);
  }
  assert.ok(r.lines.includes(`* ${now.state.size} EXISTS`), r.lines.join('\n'));
  assert.match(r.lines.join('\n'), new RegExp(`HIGHESTMODSEQ ${now.highestModseq}\\]`));
  for (const u of expunged) cache.delete(u);
  r = await d.cmd(`UID FETCH ${uids[7]! + 1}:* (FLAGS)`);
  for (const l of r.lines) {
    const [, uid, flags] = parseFetch(l);
    if (uid > uids[7]!) cache.set(uid, flags);
  }
  assert.deepEqual(sorted(cache), sorted(now.state));

  // Nothing changed since: no VANISHED, no FETCH.
  r = await d.cmd(`SELECT ${box} (QRESYNC (${uv} ${now.highestModseq} 1:*))`);
  assert.equal(r.lines[0], '* OK [CLOSED] Previous mailbox closed');
  assert.ok(!r.lines.some((l) => l.startsWith('* VANISHED') || / FETCH /.test(l)), r.lines.join('\n'));
  // A UIDVALIDITY that is not the folder's: the client's data is worthless, so nothing is sent for it.
  r = await d.cmd(`SELECT ${box} (QRESYNC (${uv + 1} ${ms}))`);
  assert.match(r.done, /OK/);
  assert.ok(!r.lines.some((l) => l.startsWith('* VANISHED') || / FETCH /.test(l)), r.lines.join('\n'));
  assert.match(r.lines.join('\n'), new RegExp(`UIDVALIDITY ${uv}\\]`));

  // Live: while selected with QRESYNC, another session's changes arrive as VANISHED and FETCH (UID).
  r = await d.cmd(`SELECT ${box} (QRESYNC (${uv} ${now.highestModseq}))`);
  assert.match(r.done, /OK/);
  const o = await login();
  await o.cmd(`SELECT ${box}`);
  const [first, second] = order as [number, number];
  await o.cmd(`UID STORE ${first} +FLAGS.SILENT (\\Deleted)`);
  await o.cmd(`UID EXPUNGE ${first}`);
  await o.cmd(`UID STORE ${second} +FLAGS.SILENT ($Later)`);
  o.close();
  r = await d.cmd('NOOP');
  assert.ok(r.lines.includes(`* VANISHED ${first}`), r.lines.join('\n'));
  const live = r.lines.filter((l) => / FETCH \(/.test(l)).map(parseFetch);
  assert.deepEqual(
    live.map((f) => [f[0], f[1]]),
    [[1, second]],
  );
  assert.ok(live[0]![2].includes('$Later'));
  d.close();
});

test('CONDSTORE only (no QRESYNC): CHANGEDSINCE for flags, a UID search for expunges, UID range for new mail', async () => {
  const box = 'SyncC';
  const uids = await seed(box, 8);

  // imapflow without qresync uses CONDSTORE.
  const a = flow(false);
  await a.connect();
  assert.ok(a.enabled.has('CONDSTORE'), [...a.enabled].join(' '));
  assert.ok(!a.enabled.has('QRESYNC'));
  const cache: Cache = new Map();
  let lock = await a.getMailboxLock(box);
  for await (const m of a.fetch('1:*', { uid: true, flags: true })) cache.set(m.uid, norm(m.flags ?? []));
  const { uidValidity, highestModseq } = a.mailbox as { uidValidity: bigint; highestModseq: bigint };
  lock.release();
  await a.logout();

  const { expunged, changed } = await changeWhileAway(box, uids);

  const b = flow(false);
  const expungeEvents: unknown[] = [];
  b.on('expunge', (e: unknown) => expungeEvents.push(e));
  await b.connect();
  lock = await b.getMailboxLock(box);
  try {
    const mb = b.mailbox as { uidValidity: bigint; highestModseq: bigint };
    assert.equal(mb.uidValidity, uidValidity);
    assert.ok(mb.highestModseq > highestModseq);
    const top = Math.max(...cache.keys());
    // 1. Flags changed since the old HIGHESTMODSEQ, among the messages the client knows.
    const flagged = new Map<number, string[]>();
    for await (const m of b.fetch(
      `1:${top}`,
      { uid: true, flags: true },
      { uid: true, changedSince: highestModseq },
    )) {
      flagged.set(m.uid, norm(m.flags ?? []));
      assert.ok(m.modseq !== undefined && m.modseq > highestModseq);
    }
    assert.deepEqual(
      [...flagged.keys()].sort((x, y) => x - y),
      changed,
    );
    // 2. Which of the known UIDs still exist: the rest were expunged.
    const alive = new Set((await b.search({ uid: `1:${top}` }, { uid: true })) || []);
    const gone = [...cache.keys()].filter((u) => !alive.has(u));
    assert.deepEqual(gone, expunged);
    for (const u of gone) cache.delete(u);
    for (const [u, f] of flagged) cache.set(u, f);
    // 3. New mail above the highest known UID.
    for await (const m of b.fetch(`${top + 1}:*`, { uid: true, flags: true }, { uid: true })) {
      if (m.uid > top) cache.set(m.uid, norm(m.flags ?? []));
    }
    const now = await serverState(box);
    assert.deepEqual(sorted(cache), sorted(now.state));
    assert.deepEqual(expungeEvents, [], 'nothing expunged in this session');
  } finally {
    lock.release();
  }
  await b.logout();

  // The same CONDSTORE resync in raw commands, checked line by line.
  const c = await login();
  const r0 = await c.cmd(`SELECT ${box} (CONDSTORE)`);
  assert.match(r0.lines.join('\n'), /\[HIGHESTMODSEQ \d+\]/);
  const r1 = await c.cmd(`UID FETCH 1:${uids[7]} (FLAGS) (CHANGEDSINCE ${highestModseq})`);
  const rows = r1.lines.map(parseFetch);
  assert.deepEqual(
    rows.map((x) => x[1]),
    changed,
  );
  assert.ok(
    rows.every((x) => x[3] > Number(highestModseq)),
    'CHANGEDSINCE answers carry MODSEQ',
  );
  const r2 = await c.cmd(`UID SEARCH UID 1:${uids[7]}`);
  const alive = r2.lines[0]!.replace('* SEARCH', '').trim().split(' ').map(Number);
  assert.deepEqual(
    uids.filter((u) => !alive.includes(u)),
    expunged,
  );
  // CHANGEDSINCE with the current HIGHESTMODSEQ: nothing.
  const hms = Number(/HIGHESTMODSEQ (\d+)/.exec(r0.lines.join('\n'))?.[1]);
  assert.deepEqual((await c.cmd(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${hms})`)).lines, []);
  c.close();
});
