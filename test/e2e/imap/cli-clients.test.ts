// Command-line clients against the real server on loopback: curl's IMAP (list, UID SEARCH, fetch by
// UID, APPEND by upload) and mbsync (isync) syncing a mailbox both ways with a local Maildir. Each is
// skipped when its program is not installed (Debian packages: curl, isync).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleMessage, startImap, type ImapServer } from './harness.js';
import { deliverToFolder } from '../../../src/core/mailbox/deliver.js';
import { getFolder } from '../../../src/core/mailbox/folders.js';
import { loadMessages } from '../../../src/core/mailbox/messages.js';

let srv: ImapServer;
let work: string;
before(async () => {
  srv = await startImap();
  work = mkdtempSync(join(tmpdir(), 'ms-imap-cli-'));
});
after(async () => {
  await srv.close();
  rmSync(work, { recursive: true, force: true });
});

function have(program: string): boolean {
  try {
    execFileSync(program, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(program: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: 30_000 }, (e, out, err) => {
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ code, out: String(out), err: String(err) });
    });
  });
}

async function synced(): Promise<Array<{ uid: number; flags: string[] }>> {
  const box = await getFolder(srv.tc.core, srv.account.addressId, 'Synced');
  assert.ok(box);
  const uids = await srv.tc.core.store.mail.listUids(box.id);
  return (await loadMessages(srv.tc.core, box.id, uids)).map((m) => ({ uid: m.uid, flags: m.flags }));
}

test('curl: list folders, UID SEARCH, fetch a message by UID, APPEND by upload', async (t) => {
  if (!have('curl')) return t.skip('curl is not installed');
  const base = `imaps://127.0.0.1:${srv.ports.imaps}`;
  const auth = ['-k', '-s', '-S', '--user', `${srv.user}:${srv.password}`];
  await deliverToFolder(
    srv.tc.core,
    srv.account.addressId,
    'INBOX',
    sampleMessage('From curl test', 'Curl body\r\n'),
  );

  let r = await run('curl', [...auth, `${base}/`]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\* LIST \([^)]*\) "\/" INBOX/);
  assert.match(r.out, /\* LIST \([^)]*\\Sent[^)]*\) "\/" Sent/);

  r = await run('curl', [...auth, `${base}/INBOX`, '-X', 'UID SEARCH SUBJECT "curl test"']);
  assert.equal(r.code, 0, r.err);
  const uid = Number(/\* SEARCH (\d+)/.exec(r.out)?.[1]);
  assert.ok(uid > 0, r.out);

  r = await run('curl', [...auth, `${base}/INBOX;UID=${uid}`]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Subject: From curl test/);
  assert.match(r.out, /Curl body/);

  const file = join(work, 'upload.eml');
  writeFileSync(file, sampleMessage('Uploaded by curl'));
  r = await run('curl', [...auth, '-T', file, `${base}/Drafts`]);
  assert.equal(r.code, 0, r.err);
  r = await run('curl', [...auth, `${base}/Drafts`, '-X', 'SEARCH SUBJECT "Uploaded by curl"']);
  assert.match(r.out, /\* SEARCH \d+/);
});

test('mbsync: a Maildir and the server stay in step both ways (new mail, local mail, flags, deletion)', async (t) => {
  if (!have('mbsync')) return t.skip('mbsync (isync) is not installed');
  const maildir = join(work, 'Mail');
  mkdirSync(maildir, { recursive: true });
  const rc = join(work, 'mbsyncrc');
  writeFileSync(
    rc,
    [
      'IMAPAccount test',
      'Host 127.0.0.1',
      `Port ${srv.ports.imaps}`,
      `User ${srv.user}`,
      `Pass "${srv.password}"`,
      'SSLType IMAPS',
      // The self-signed server certificate, trusted as is.
      `CertificateFile ${join(srv.tc.dataDir, 'tls', 'cert.pem')}`,
      '',
      'IMAPStore remote',
      'Account test',
      '',
      'MaildirStore local',
      `Path ${maildir}/`,
      `Inbox ${maildir}/INBOX`,
      'SubFolders Verbatim',
      '',
      'Channel sync',
      'Far :remote:',
      'Near :local:',
      'Patterns Synced',
      'Create Both',
      'Expunge Both',
      'SyncState *',
      '',
    ].join('\n'),
  );
  const sync = async () => {
    const r = await run('mbsync', ['-c', rc, '-a']);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  };

  // Server -> Maildir (a folder of its own: the curl test leaves mail in INBOX).
  await deliverToFolder(srv.tc.core, srv.account.addressId, 'Synced', sampleMessage('To the maildir'), {
    create: true,
  });
  await sync();
  const cur = () => [
    ...readdirSync(join(maildir, 'Synced', 'cur')).map((f) => join(maildir, 'Synced', 'cur', f)),
    ...readdirSync(join(maildir, 'Synced', 'new')).map((f) => join(maildir, 'Synced', 'new', f)),
  ];
  const local = cur();
  assert.equal(local.length, 1);
  assert.match(readFileSync(local[0]!, 'utf8'), /Subject: To the maildir/);

  // Maildir -> server: a new local message is APPENDed.
  const fresh = join(maildir, 'Synced', 'new', `${Date.now()}.1.localhost`);
  writeFileSync(fresh, sampleMessage('From the maildir'));
  await sync();
  assert.equal((await synced()).length, 2);

  // A flag set locally (Maildir info ":2,FS") reaches the server.
  const first = cur().find((f) => /To the maildir/.test(readFileSync(f, 'utf8')))!;
  const base = first
    .split('/')
    .pop()!
    .replace(/:2,.*$/, '');
  const flagged = join(maildir, 'Synced', 'cur', `${base}:2,FS`);
  renameSync(first, flagged);
  await sync();
  const rows = await synced();
  assert.ok(
    rows.some((m) => m.flags.includes('\\Flagged') && m.flags.includes('\\Seen')),
    JSON.stringify(rows),
  );

  // A message deleted locally (trashed flag, expunged) goes from the server too.
  renameSync(flagged, join(maildir, 'Synced', 'cur', `${base}:2,FST`));
  await sync();
  assert.equal((await synced()).length, 1);

  // A second run with nothing new changes nothing.
  await sync();
  assert.equal((await synced()).length, 1);
  assert.equal(cur().length, 1);
});
