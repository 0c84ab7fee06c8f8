// SIGTERM drains: open sessions are told goodbye in their protocol (SMTP 421, IMAP BYE) and the
// process exits 0, quickly, without waiting for clients to leave on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

test('SIGTERM says goodbye to open SMTP and IMAP sessions and exits 0', async () => {
  const srv = await startServer({ services: ['smtp', 'imaps'] });
  try {
    assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(srv.admin('address', 'add', 'u@example.test', '--password', 'pass').code, 0);
    // Each client appends a line here once its session is open: the stop waits for both, not for a
    // fixed time that a loaded machine can overrun.
    const ready = join(mkdtempSync(join(tmpdir(), 'ms-shutdown-')), 'ready');
    const clients = python(`
import socket, threading
out = {}
lock = threading.Lock()
def say_ready():
    with lock:
        with open(${JSON.stringify(ready)}, "a") as f: f.write("ready\\n")
def smtp():
    s = socket.create_connection(("127.0.0.1", ${srv.ports.smtp}), timeout=20); f = s.makefile("rb"); f.readline()
    s.sendall(b"EHLO x.test\\r\\n")
    while f.readline()[3:4] != b" ": pass
    say_ready()
    out["smtp"] = f.readline().decode().strip()
def imap_():
    m = imap(${srv.ports.imaps}, "u@example.test", "pass"); m.select("INBOX")
    say_ready()
    try:
        m.noop(); time.sleep(15); m.noop(); out["imap"] = "no bye"
    except Exception as e: out["imap"] = "%s: %s" % (type(e).__name__, e)
ts = [threading.Thread(target=smtp), threading.Thread(target=imap_)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(out))`);
    const readyLines = () => {
      try {
        return readFileSync(ready, 'utf8').split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    for (const until = Date.now() + 30_000; readyLines() < 2 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(readyLines(), 2, 'both clients should have an open session before the stop');
    const started = Date.now();
    const code = await srv.stop();
    const elapsed = Date.now() - started;
    assert.equal(code, 0);
    assert.ok(elapsed < 9000, `shutdown took ${elapsed} ms`);
    const r = await clients;
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out.trim().split('\n').pop()!) as { smtp: string; imap: string };
    assert.match(out.smtp, /^421 /);
    assert.match(out.imap, /BYE|abort|closed|EOF/i);
  } finally {
    await srv.cleanup();
  }
});
