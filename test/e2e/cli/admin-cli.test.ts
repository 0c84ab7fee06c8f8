// The admin CLI's exact forms, against a running server, on SQLite and PostgreSQL: exit codes,
// one-line messages that name the problem, and nothing half-written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable } from '../../kit/core.js';
import { startServer } from '../../kit/server.js';

for (const kind of ENGINES) {
  test(`admin CLI round-trips the directory (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const srv = await startServer({ store: kind, services: ['http'] });
    try {
      const ok = (...args: string[]) => {
        const r = srv.admin(...args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        return r.stdout;
      };
      const fails = (pattern: RegExp, ...args: string[]) => {
        const r = srv.admin(...args);
        assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, `one line expected: ${r.stderr}`);
        assert.match(lines[0]!, pattern);
        return r;
      };

      ok('domain', 'add', 'example.test');
      ok('address', 'add', 'user1@example.test', '--password', 'pass');
      fails(
        /already exists.*user1@example\.test/,
        'address',
        'add',
        'user1@example.test',
        '--password',
        'pass',
      );
      fails(/invalid address/, 'address', 'add', 'not an address', '--password', 'pass');
      fails(/unknown domain: nowhere\.test/, 'address', 'add', 'a@nowhere.test', '--password', 'p');
      fails(/domain already exists: example\.test/, 'domain', 'add', 'example.test');
      fails(/--password is required/, 'address', 'add', 'user2@example.test');
      fails(/unknown admin command/, 'domain', 'explode');
      fails(/unknown option --bogus/, 'domain', 'list', '--bogus');

      ok('domain', 'link', 'example.test', 'other.test');
      assert.match(
        ok('domain', 'list'),
        /example\.test\tprimary[\s\S]*other\.test\tlinked|other\.test\tlinked[\s\S]*example\.test\tprimary/,
      );
      ok('alias', 'add', 'sales@example.test', 'user1@example.test');
      ok('redirect', 'add', 'info@example.test', 'a@elsewhere.test', 'b@elsewhere.test');
      ok('forward', 'set', 'user1@example.test', 'me@elsewhere.test', '--keep');
      ok('domain', 'set-primary', 'other.test');
      const list = ok('address', 'list');
      assert.match(list, /user1@other\.test\tmailbox/);
      assert.match(list, /info@other\.test\tredirect/);
      assert.doesNotMatch(list, /@example\.test/);
      const show = ok('address', 'show', 'user1@example.test');
      assert.match(show, /address: +user1@other\.test/);
      assert.match(show, /aliases: +sales@other\.test/);
      assert.match(show, /forwarding: +me@elsewhere\.test \(keeps a copy\)/);
      ok('address', 'passwd', 'user1@other.test', '--password', 'new');
      ok('address', 'set', 'user1@other.test', '--quota', '1G', '--rules', 'deny');
      assert.match(ok('address', 'show', 'user1@other.test'), /of 1 GiB[\s\S]*locked by the administrator/);
      fails(/primary domain/, 'domain', 'unlink', 'other.test');
      ok('domain', 'unlink', 'example.test');
      fails(/unknown domain: example\.test/, 'address', 'show', 'user1@example.test');

      // plans
      ok('domain', 'add', 'small.test', '--plan', 'starter');
      ok('address', 'add', 'me@small.test', '--password', 'x');
      fails(/allows 1 address/, 'address', 'add', 'two@small.test', '--password', 'x');
      fails(/catch-all.*not allowed/, 'address', 'add', 'catchall@small.test', '--password', 'x');
      fails(/unknown plan: gold/, 'plan', 'set', 'small.test', 'gold');
      ok('plan', 'set', 'small.test', 'premium');
      ok('address', 'add', 'catchall@small.test', '--password', 'x');
      fails(/allows 1 address.*has 2/, 'plan', 'set', 'small.test', 'starter');
      ok('address', 'remove', 'me@small.test');
      fails(/no such address/, 'address', 'remove', 'me@small.test');
      fails(/does not allow a catch-all/, 'plan', 'set', 'small.test', 'starter');

      assert.match(
        ok('domain', 'dns', 'small.test'),
        /mailstead\._domainkey\.small\.test\.\tTXT\t"v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{300,}"/,
      );

      // the server ran through all of it and stops cleanly
      assert.equal(await srv.stop(), 0);
    } finally {
      await srv.cleanup();
    }
  });
}

test('serve: banner, /healthz, one instance per data directory, clean SIGTERM, demo only on first start', async () => {
  const srv = await startServer({ services: ['smtp', 'http'], top: 'create_demo = true' });
  try {
    const out = srv.output();
    assert.match(out, new RegExp(`http://127\\.0\\.0\\.1:${srv.ports.http}/`));
    const demo = /Demo mailbox created: (\S+) +password: (\S+)/.exec(out);
    assert.ok(demo, out);
    const res = await fetch(`http://127.0.0.1:${srv.ports.http}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
    // a second server on the same data directory is refused with a clear message
    const { spawnSync } = await import('node:child_process');
    const { BIN } = await import('../../kit/server.js');
    const second = spawnSync(process.execPath, [BIN, 'serve', '--config', srv.config], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(second.status, 1);
    assert.match(second.stderr, /already serving the data directory/);
    assert.equal(await srv.stop(), 0);
    await srv.restart();
    assert.doesNotMatch(srv.output().split(' serving ').pop()!, /Demo mailbox created/);
    assert.match(srv.admin('address', 'list').stdout, /demo@demo\.test/);
    // after SIGKILL the stale lock is taken over
    await srv.kill();
    await srv.restart();
    assert.equal(await srv.stop(), 0);
  } finally {
    await srv.cleanup();
  }
});

test('config errors name the key and stop the start', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { runCli } = await import('../../kit/server.js');
  const dir = mkdtempSync(join(tmpdir(), 'ms-cfg-'));
  const f = join(dir, 'bad.toml');
  writeFileSync(f, `data_dir = "${dir}/data"\n[listen]\nsmtpp = 25\n`);
  const r = runCli(['serve', '--config', f]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /listen\.smtpp: unknown key/);
  writeFileSync(f, `data_dir = "${dir}/data"\n[listen]\nimap = "143"\n`);
  assert.match(runCli(['serve', '--config', f]).stderr, /listen\.imap/);
});
