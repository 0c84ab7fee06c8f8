// `workers = 2`: a primary and two serving processes sharing the listening sockets. Mail delivered
// by any worker reaches IDLE sessions held by every worker, nothing is stored twice, a worker that
// dies is replaced, and SIGTERM to the primary drains everything and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServer, waitFor } from '../../kit/server.js';
import { python } from '../../kit/clients.js';
import { ENGINES, engineAvailable } from '../../kit/core.js';

/** Child processes of `pid` (the workers of a primary). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

for (const kind of ENGINES) {
  test(`two workers (${kind}): shared listeners, IDLE woken across workers, restart on death, clean stop`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const srv = await startServer({ store: kind, services: ['smtp', 'imaps', 'http'], top: 'workers = 2' });
    try {
      const primary = srv.proc.pid!;
      assert.match(srv.output(), /Workers: 2 processes/);
      await waitFor(() => children(primary).length === 2, 10_000, 'two workers');
      assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
      assert.equal(srv.admin('address', 'add', 'u@example.test', '--password', 'pass').code, 0);

      // A second server on the same data directory is refused: the primary holds the lock.
      const second = runCli(['serve', '--config', srv.config]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /already/i);

      // Four IDLE sessions (connections alternate between the workers), then 12 messages over 6
      // SMTP connections: every IDLE session hears of the first one, and each message is stored once.
      const r = await python(`
import socket, threading
idlers = []
for i in range(4):
    m = imap(${srv.ports.imaps}, "u@example.test", "pass"); m.select("INBOX")
    tag = m._new_tag().decode(); m.send(("%s IDLE\\r\\n" % tag).encode()); m.readline()
    idlers.append(m)
woken = [None] * 4
def wait(i):
    m = idlers[i]; m.sock.settimeout(15)
    t0 = time.time()
    while True:
        line = m.readline()
        if b"EXISTS" in line: woken[i] = time.time() - t0; return
        if not line: return
ts = [threading.Thread(target=wait, args=(i,)) for i in range(4)]
[t.start() for t in ts]
time.sleep(0.5)
for c in range(6):
    s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=20)
    for k in range(2):
        s.send_message(msg("a@remote.test", "u@example.test", subject="w%d-%d" % (c, k)))
    s.quit()
[t.join() for t in ts]
m = imap(${srv.ports.imaps}, "u@example.test", "pass"); m.select("INBOX")
typ, data = m.search(None, "ALL")
subjects = []
for n in data[0].split():
    typ, d = m.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects.append(d[0][1].decode().strip())
print(json.dumps({"woken": woken, "subjects": sorted(subjects)}))`);
      assert.equal(r.code, 0, r.err);
      const out = JSON.parse(r.out.trim().split('\n').pop()!) as {
        woken: Array<number | null>;
        subjects: string[];
      };
      for (const w of out.woken) assert.ok(w !== null && w < 10, `an IDLE session was not woken: ${r.out}`);
      const want = [];
      for (let c = 0; c < 6; c++) for (let k = 0; k < 2; k++) want.push(`Subject: w${c}-${k}`);
      assert.deepEqual(out.subjects, want.sort());

      // A worker killed outright is replaced, and the service goes on.
      const [victim] = children(primary);
      process.kill(victim!, 'SIGKILL');
      await waitFor(
        () => {
          const now = children(primary);
          return now.length === 2 && !now.includes(victim!);
        },
        20_000,
        'a replacement worker',
      );
      const again = await python(`
s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=20)
s.send_message(msg("a@remote.test", "u@example.test", subject="after-restart")); s.quit()
print("found" if find(${srv.ports.imaps}, "u@example.test", "pass", "after-restart") else "missing")`);
      assert.equal(again.out.trim(), 'found', again.err);
      assert.match(srv.output(), /worker died; starting another/);

      const workers = children(primary);
      assert.equal(await srv.stop(), 0);
      for (const w of workers) assert.equal(existsSync(`/proc/${w}`), false, `worker ${w} still running`);
      assert.equal(existsSync(join(srv.dir, 'data', 'mailstead.pid')), false);
    } finally {
      await srv.cleanup();
    }
  });
}

test('a worker that cannot start stops the whole server with its reason', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const port = (taken.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'ms-workers-'));
  try {
    const config = join(dir, 'mailstead.toml');
    writeFileSync(
      config,
      [
        `data_dir = "${join(dir, 'data')}"`,
        'workers = 2',
        '[listen]',
        'bind = "127.0.0.1"',
        `smtp = ${port}`,
      ].join('\n'),
    );
    const r = runCli(['serve', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^mailstead: a worker could not start: .*EADDRINUSE/m);
    assert.equal(existsSync(join(dir, 'data', 'mailstead.pid')), false, 'lock released');
  } finally {
    taken.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
