// The outbound settings as the configuration gives them: queue timing and the SRS secret,
// generated once and then kept across restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../server/config.js';
import { outboundTransportFromConfig, queueTimingFromConfig, srsSecretFromConfig } from './from-config.js';

test('queue timing defaults: 5 days of retries, a delay notice after 4 hours', () => {
  const c = parseConfig('', '/tmp');
  assert.deepEqual(queueTimingFromConfig(c), { lifetimeMs: 5 * 86_400_000, delayNoticeMs: 4 * 3_600_000 });
  const d = parseConfig('[smtp]\nqueue_lifetime = 600\ndelay_notice_after = 60\n', '/tmp');
  assert.deepEqual(queueTimingFromConfig(d), { lifetimeMs: 600_000, delayNoticeMs: 60_000 });
  assert.equal(typeof outboundTransportFromConfig(d).deliver, 'function');
});

test('the SRS secret is the configured one, or generated once into data_dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ms-srs-'));
  try {
    assert.equal(
      srsSecretFromConfig(parseConfig(`data_dir = "${dir}"\n[smtp]\nsrs_secret = "given"\n`, '/')),
      'given',
    );
    const c = parseConfig(`data_dir = "${dir}"\n`, '/');
    const first = srsSecretFromConfig(c);
    assert.ok(first.length >= 32);
    assert.equal(srsSecretFromConfig(c), first, 'kept across restarts');
    assert.equal(readFileSync(join(dir, 'srs-secret'), 'utf8').trim(), first);
    assert.equal(statSync(join(dir, 'srs-secret')).mode & 0o777, 0o600);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
