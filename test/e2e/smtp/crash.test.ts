// A message we answered 250 for is never lost: SIGKILL the server in the middle of an SMTP load,
// restart it, and every acknowledged message is in the mailbox exactly once. (The long soak with
// IMAP APPEND, PostgreSQL and many more kills is `npm run bench -- crash`.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

test('SIGKILL during an SMTP load loses no acknowledged message and duplicates none', async () => {
  const srv = await startServer({ services: ['smtp', 'imaps'] });
  const acked = join(mkdtempSync(join(tmpdir(), 'ms-crash-')), 'acked.txt');
  try {
    assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(srv.admin('address', 'add', 'user@example.test', '--password', 'pass').code, 0);
    const load = python(`
import os
end = time.time() + 14
n = 0
open(${JSON.stringify(acked)}, "w").close()
while time.time() < end:
    mid = "<crash-%d-%s@load.test>" % (n, uuid.uuid4().hex[:6])
    m = msg("load@remote.test", "user@example.test", "crash %d" % n, Message_ID=mid)
    try:
        s = smtplib.SMTP("127.0.0.1", ${srv.ports.smtp}, timeout=5); s.ehlo("mx.remote.test")
        s.sendmail("load@remote.test", ["user@example.test"], m.as_bytes())
        with open(${JSON.stringify(acked)}, "a") as f: f.write(mid + "\\n"); f.flush(); os.fsync(f.fileno())
        try: s.quit()
        except Exception: pass
    except Exception:
        time.sleep(0.1)
    n += 1
print(n)`);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 2500 + Math.floor(Math.random() * 1500)));
      await srv.kill();
      await srv.restart();
    }
    const sent = await load;
    assert.equal(sent.code, 0, sent.err);
    const ids = readFileSync(acked, 'utf8').split('\n').filter(Boolean);
    assert.ok(ids.length >= 10, `only ${ids.length} messages were acknowledged`);
    const r = await python(`
import re
m = imap(${srv.ports.imaps}, "user@example.test", "pass"); m.select("INBOX")
typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
found = [re.search(rb"<[^>]+>", p[1]).group(0).decode() for p in data if isinstance(p, tuple)]
print(json.dumps(found))`);
    assert.equal(r.code, 0, r.err);
    const stored = JSON.parse(r.out) as string[];
    const missing = ids.filter((id) => !stored.includes(id));
    assert.deepEqual(
      missing,
      [],
      `acknowledged but missing after SIGKILL: ${missing.length} of ${ids.length}`,
    );
    const dup = stored.filter((id, i) => stored.indexOf(id) !== i);
    assert.deepEqual(dup, [], 'stored twice');
    // and the store itself is sound after three hard kills
    await srv.stop();
    const check = srv.admin('domain', 'list');
    assert.equal(check.code, 0, check.stderr);
  } finally {
    await srv.cleanup();
  }
});
