// Golden-file tests: BODYSTRUCTURE, BODY and ENVELOPE of real-world and malformed MIME messages
// (test-vectors/*.eml) against the expected responses beside them (*.expected). The expected files
// were checked against Dovecot 2.3.19 — see test-vectors/README.md for the one deliberate difference.
// Regenerate after an intended change with UPDATE_GOLDEN=1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseMessage } from '../../mime/index.js';
import { formatBodyStructure } from './bodystructure.js';
import { formatEnvelope } from './envelope.js';

// dist/src/imap/proto -> src/imap/proto/test-vectors (the vectors are not copied into dist).
const dir = new URL('../../../../src/imap/proto/test-vectors/', import.meta.url);

function render(raw: Buffer): string {
  const root = parseMessage(raw);
  return [
    `BODYSTRUCTURE ${formatBodyStructure(root, true, false, raw)}`,
    `BODY ${formatBodyStructure(root, false, false, raw)}`,
    `ENVELOPE ${formatEnvelope(root.headers)}`,
    '',
  ].join('\n');
}

const names = readdirSync(dir)
  .filter((n) => n.endsWith('.eml'))
  .map((n) => n.slice(0, -4))
  .sort();

test('the corpus is there', () => {
  assert.ok(names.length >= 10, `only ${names.length} vectors in ${dir.pathname}`);
});

for (const name of names) {
  test(`golden: ${name}`, () => {
    const raw = readFileSync(new URL(`${name}.eml`, dir));
    const got = render(raw);
    const expectedUrl = new URL(`${name}.expected`, dir);
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(expectedUrl, got);
    assert.equal(got, readFileSync(expectedUrl, 'utf8'));
  });
}

test('the same vectors parse identically when split across LF-only line endings', () => {
  // Bare-LF messages (as some MTAs store them) keep their structure; only sizes and offsets change.
  for (const name of names) {
    const raw = readFileSync(new URL(`${name}.eml`, dir));
    const lf = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const a = formatBodyStructure(parseMessage(raw), false, false, raw).replace(/\d+/g, 'N');
    const b = formatBodyStructure(parseMessage(lf), false, false, lf).replace(/\d+/g, 'N');
    assert.equal(b, a, name);
  }
});
