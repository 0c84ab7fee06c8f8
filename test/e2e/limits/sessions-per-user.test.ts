// connections_per_user: IMAP, POP3 and ManageSieve sessions of one user count together; a slot
// comes back when a session ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../kit/server.js';
import { python } from '../../kit/clients.js';

test('sessions per user are limited across protocols and freed on logout', async () => {
  const srv = await startServer({
    services: ['imaps', 'pop3s'],
    extra: '[limits]\nconnections_per_user = 2\n',
  });
  try {
    assert.equal(srv.admin('domain', 'add', 'example.test').code, 0);
    assert.equal(srv.admin('address', 'add', 'u@example.test', '--password', 'pass').code, 0);
    assert.equal(srv.admin('address', 'add', 'v@example.test', '--password', 'pass').code, 0);
    const r = await python(`
a = imap(${srv.ports.imaps}, "u@example.test", "pass")
p = poplib.POP3_SSL("127.0.0.1", ${srv.ports.pop3s}, context=ctx(), timeout=20); p.user("u@example.test"); p.pass_("pass")
res = {}
try: imap(${srv.ports.imaps}, "u@example.test", "pass"); res["third"] = "allowed"
except imaplib.IMAP4.error as e: res["third"] = str(e)
other = imap(${srv.ports.imaps}, "v@example.test", "pass"); res["other"] = "ok"; other.logout()
p.quit(); time.sleep(0.3)
again = imap(${srv.ports.imaps}, "u@example.test", "pass"); res["after"] = "ok"; again.logout(); a.logout()
print(json.dumps(res))`);
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as Record<string, string>;
    assert.match(res['third']!, /LIMIT/);
    assert.equal(res['other'], 'ok');
    assert.equal(res['after'], 'ok');
  } finally {
    await srv.cleanup();
  }
});
