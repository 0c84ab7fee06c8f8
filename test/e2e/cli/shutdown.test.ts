// SIGTERM drains: open sessions are told goodbye in their protocol (SMTP 421, IMAP BYE) and the
// process exits 0, quickly, without waiting for clients to leave on their own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

test('SIGTERM says goodbye to open SMTP and IMAP sessions and exits 0', async () => {
  const srv = await startServer({ services: ['smtp', 'imaps'] });
  try {
    assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(srv.admin('address', 'add', 'u@example.test', '--password', 'pass').code, 0);
    const clients = python(`
import socket, threading
out = {}
def smtp():
    s = socket.create_connection(("127.0.0.1", ${srv.ports.smtp}), timeout=20); f = s.makefile("rb"); f.readline()
    s.sendall(b"EHLO x.test\\r\\n")
    while f.readline()[3:4] != b" ": pass
    print("ready", flush=True)
    out["smtp"] = f.readline().decode().strip()
def imap_():
    m = imap(${srv.ports.imaps}, "u@example.test", "pass"); m.select("INBOX")
    print("ready", flush=True)
    try:
        m.noop(); time.sleep(15); m.noop(); out["imap"] = "no bye"
    except Exception as e: out["imap"] = "%s: %s" % (type(e).__name__, e)
ts = [threading.Thread(target=smtp), threading.Thread(target=imap_)]
[t.start() for t in ts]; [t.join() for t in ts]
print(json.dumps(out))`);
    await new Promise((r) => setTimeout(r, 2500));
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
