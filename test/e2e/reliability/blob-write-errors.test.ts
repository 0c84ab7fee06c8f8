// Blob-store write errors other than a full disk (issue 7): the real server's blob directory made
// unwritable under a running server — EROFS (read-only bind mount, root only), EACCES (permissions,
// non-root only: root ignores them) and EMFILE (the server's file-descriptor limit lowered with
// prlimit). While the fault lasts, SMTP answers 4xx and IMAP APPEND NO [UNAVAILABLE], the server
// stays up, and once the fault is gone the same sessions store mail again without a restart; every
// acknowledged message is then there exactly once. Python's smtplib/imaplib keep one SMTP and one
// IMAP session open throughout (EMFILE forbids new connections). Messages are 250 kB so they land in
// the file blob store, not in an inline tier for small bodies.
// The heavier faults (EIO from a shrunk loop device, all faults in one run) are `npm run bench -- blob-faults`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startServer, type TestServer } from '../../kit/server.js';

const isRoot = process.getuid?.() === 0;
let srv: TestServer;

before(async () => {
  srv = await startServer({ services: ['smtp', 'imaps'] });
  assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
  for (const u of ['rcpt', 'appender'])
    assert.equal(srv.admin('address', 'add', `${u}@example.test`, '--password', 'pw-123456').code, 0);
});
after(async () => {
  await srv?.cleanup();
});

const DRIVER = `
import sys, ssl, smtplib, imaplib, json, uuid
smtp_port, imap_port = int(sys.argv[1]), int(sys.argv[2])
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP("127.0.0.1", smtp_port, timeout=30); s.ehlo("client.remote.test")
m = imaplib.IMAP4_SSL("127.0.0.1", imap_port, ssl_context=c, timeout=30); m.login("appender@example.test", "pw-123456")
def raw(to):
    mid = "<%s@remote.test>" % uuid.uuid4().hex
    line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghij.\\r\\n"
    head = "From: <x@remote.test>\\r\\nTo: <%s>\\r\\nSubject: fault\\r\\nMessage-ID: %s\\r\\n\\r\\n" % (to, mid)
    return mid, head + line * (250000 // len(line))
def ids(user):
    mm = imaplib.IMAP4_SSL("127.0.0.1", imap_port, ssl_context=c, timeout=30); mm.login(user, "pw-123456")
    mm.select("INBOX"); typ, d = mm.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    out = [p[1].decode().split(":", 1)[1].strip() for p in d if isinstance(p, tuple)] if typ == "OK" else []
    mm.logout(); return out
print("ready", flush=True)
for line in sys.stdin:
    cmd = line.strip()
    if cmd == "smtp":
        mid, body = raw("rcpt@example.test")
        try:
            s.sendmail("x@remote.test", ["rcpt@example.test"], body); r = {"code": 250, "text": "ok"}
        except smtplib.SMTPResponseException as e:
            r = {"code": e.smtp_code, "text": e.smtp_error.decode("latin1")}; s.rset()
        except smtplib.SMTPRecipientsRefused as e:
            code, text = list(e.recipients.values())[0]; r = {"code": code, "text": text.decode("latin1")}; s.rset()
        r["id"] = mid
    elif cmd == "append":
        mid, body = raw("appender@example.test")
        typ, d = m.append("INBOX", None, None, body.encode())
        r = {"code": typ, "text": d[0].decode("latin1") if d and d[0] else "", "id": mid}
    elif cmd == "ids":
        r = {"rcpt": ids("rcpt@example.test"), "appender": ids("appender@example.test")}
    elif cmd == "quit":
        s.quit(); m.logout(); break
    print(json.dumps(r), flush=True)
`;

interface Reply {
  code: number | string;
  text: string;
  id: string;
}

/** One Python process holding an SMTP and an IMAP session; commands over stdin, JSON lines back. */
async function driver(): Promise<{ send(cmd: string): Promise<unknown>; close(): Promise<void> }> {
  const p: ChildProcessWithoutNullStreams = spawn('python3', [
    '-c',
    DRIVER,
    String(srv.ports.smtp),
    String(srv.ports.imaps),
  ]);
  let err = '';
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => {
    const r = await lines.next();
    if (r.done) throw new Error(`python driver ended: ${err}`);
    return r.value as string;
  };
  assert.equal(await next(), 'ready');
  return {
    async send(cmd) {
      p.stdin.write(cmd + '\n');
      return JSON.parse(await next()) as unknown;
    },
    async close() {
      p.stdin.write('quit\n');
      await new Promise((r) => p.once('close', r));
    },
  };
}

/** Runs one fault: sends during it (all temporary), removes it, sends after (all stored). */
async function exercise(inject: () => void, remove: () => void): Promise<void> {
  const d = await driver();
  const acked = { rcpt: [] as string[], appender: [] as string[] };
  const note = (r: Reply, who: 'rcpt' | 'appender') => {
    if (r.code === 250 || r.code === 'OK') acked[who].push(r.id);
  };
  try {
    const ok1 = (await d.send('smtp')) as Reply;
    const ok2 = (await d.send('append')) as Reply;
    assert.equal(ok1.code, 250, `before the fault: ${ok1.text}`);
    assert.equal(ok2.code, 'OK', `before the fault: ${ok2.text}`);
    note(ok1, 'rcpt');
    note(ok2, 'appender');
    inject();
    let removed = false;
    try {
      for (let i = 0; i < 3; i++) {
        const r1 = (await d.send('smtp')) as Reply;
        const r2 = (await d.send('append')) as Reply;
        assert.ok(
          typeof r1.code === 'number' && r1.code >= 400 && r1.code < 500,
          `SMTP during the fault must be 4xx: ${r1.code} ${r1.text}`,
        );
        assert.match(r1.text, /^4\.3\.\d /, `SMTP enhanced status 4.3.x: ${r1.text}`);
        assert.equal(r2.code, 'NO', `APPEND during the fault must be NO: ${r2.text}`);
        assert.match(r2.text, /^\[UNAVAILABLE\]/, `APPEND NO [UNAVAILABLE]: ${r2.text}`);
      }
      assert.equal(srv.proc.exitCode, null, 'server alive during the fault');
      remove();
      removed = true;
    } finally {
      if (!removed) remove();
    }
    // No restart: the very same sessions store mail again.
    for (let i = 0; i < 2; i++) {
      const r1 = (await d.send('smtp')) as Reply;
      const r2 = (await d.send('append')) as Reply;
      assert.equal(r1.code, 250, `after the fault: ${r1.text}`);
      assert.equal(r2.code, 'OK', `after the fault: ${r2.text}`);
      note(r1, 'rcpt');
      note(r2, 'appender');
    }
    const seen = (await d.send('ids')) as { rcpt: string[]; appender: string[] };
    for (const who of ['rcpt', 'appender'] as const) {
      for (const id of acked[who])
        assert.equal(seen[who].filter((x) => x === id).length, 1, `${who}: ${id} stored exactly once`);
    }
  } finally {
    await d.close();
  }
}

const blobDir = () => join(srv.dir, 'data', 'blobs');

test(
  'a read-only blob filesystem (EROFS): temporary answers, then recovery without restart',
  { skip: isRoot ? false : 'needs root to bind-mount the blob directory read-only (CI runs as root)' },
  async () => {
    const dir = blobDir();
    const mount = (...args: string[]) => {
      const r = spawnSync('mount', args, { encoding: 'utf8' });
      assert.equal(r.status, 0, `mount ${args.join(' ')}: ${r.stderr}`);
    };
    let mounted = false;
    await exercise(
      () => {
        mount('--bind', dir, dir);
        mounted = true;
        mount('-o', 'remount,ro,bind', dir);
      },
      () => {
        if (mounted) spawnSync('umount', [dir]);
        mounted = false;
      },
    );
  },
);

test(
  'an unwritable blob directory (EACCES): temporary answers, then recovery without restart',
  { skip: isRoot ? 'root ignores file permissions; the EROFS test covers this path' : false },
  async () => {
    const dirs: string[] = [];
    const walk = (d: string) => {
      dirs.push(d);
      for (const e of readdirSync(d)) if (statSync(join(d, e)).isDirectory()) walk(join(d, e));
    };
    await exercise(
      () => {
        walk(blobDir());
        for (const d of dirs) chmodSync(d, 0o555);
      },
      () => {
        for (const d of dirs) chmodSync(d, 0o750);
      },
    );
  },
);

test('out of file descriptors (EMFILE): temporary answers, then recovery without restart', async () => {
  const pid = String(srv.proc.pid);
  const limits = () =>
    spawnSync('prlimit', ['--pid', pid, '--nofile', '--raw', '--noheadings', '--output', 'SOFT,HARD'], {
      encoding: 'utf8',
    });
  const before = limits();
  assert.equal(before.status, 0, `prlimit: ${before.stderr}`);
  const [soft, hard] = before.stdout.trim().split(/\s+/);
  await exercise(
    () => {
      // As many as it has open now: any new file (a blob's temporary file) fails with EMFILE.
      const open = readdirSync(`/proc/${pid}/fd`).length;
      const r = spawnSync('prlimit', ['--pid', pid, `--nofile=${open}:${hard}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, `prlimit: ${r.stderr}`);
    },
    () => {
      const r = spawnSync('prlimit', ['--pid', pid, `--nofile=${soft}:${hard}`], { encoding: 'utf8' });
      assert.equal(r.status, 0, `prlimit: ${r.stderr}`);
    },
  );
});
