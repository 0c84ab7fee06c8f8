import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig, ConfigError } from './config.js';

const root = new URL('../../../', import.meta.url).pathname;

test('the documented example and the development config are both valid', () => {
  for (const f of ['config/mailstead.example.toml', 'mailstead.toml']) {
    const c = parseConfig(readFileSync(root + f, 'utf8'), root);
    assert.ok(c.hostname.length > 0, f);
  }
  const prod = parseConfig(readFileSync(root + 'config/mailstead.example.toml', 'utf8'), '/etc/mailstead');
  assert.deepEqual(
    [
      prod.listen.smtp,
      prod.listen.submissions,
      prod.listen.submission,
      prod.listen.imaps,
      prod.listen.imap,
      prod.listen.pop3s,
      prod.listen.pop3,
      prod.listen.managesieve,
      prod.listen.http,
    ],
    [25, 465, 587, 993, 143, 995, 110, 4190, 443],
  );
});

test('defaults: absent ports are off, sqlite store, data_dir relative to the file', () => {
  const c = parseConfig('hostname = "mx.test"\n', '/srv/ms');
  assert.equal(c.listen.smtp, 0);
  assert.equal(c.store.kind, 'sqlite');
  assert.equal(c.data_dir, '/srv/ms/data');
  assert.equal(c.smtp.max_message_size, 210_763_776);
});

test('unknown keys are refused with their dotted name', () => {
  assert.throws(
    () => parseConfig('hostnme = "x"\n', '/'),
    (e: Error) => e instanceof ConfigError && /hostnme/.test(e.message),
  );
  assert.throws(() => parseConfig('[listen]\nimapz = 1\n', '/'), /listen\.imapz.*unknown key/);
  assert.throws(() => parseConfig('[stor]\nkind = "sqlite"\n', '/'), /stor/);
});

test('wrong types are refused with the key name', () => {
  assert.throws(() => parseConfig('[listen]\nsmtp = "25"\n', '/'), /listen\.smtp/);
  assert.throws(() => parseConfig('[listen]\nsmtp = 70000\n', '/'), /listen\.smtp/);
  assert.throws(() => parseConfig('[store]\nkind = "mysql"\n', '/'), /store\.kind/);
  assert.throws(() => parseConfig('hostname = 5\n', '/'), /hostname/);
  assert.throws(() => parseConfig('[tls]\nengine = "openssl"\n', '/'), /tls\.engine/);
  assert.throws(() => parseConfig('[tls]\nhandshake_timeout = -1\n', '/'), /tls\.handshake_timeout/);
});

test('tls.engine is "auto" unless set', () => {
  assert.equal(parseConfig('', '/').tls.engine, 'auto');
  assert.equal(parseConfig('[tls]\nengine = "node"\n', '/').tls.engine, 'node');
});

test('invalid TOML and incomplete settings are refused', () => {
  assert.throws(() => parseConfig('hostname = \n', '/'), /not valid TOML/);
  assert.throws(() => parseConfig('[store]\nkind = "postgres"\n', '/'), /store\.url/);
  assert.throws(() => parseConfig('[tls]\ncert = "a.pem"\n', '/'), /tls/);
});
