// Table tests for the pure codec pieces: modified UTF-7 (RFC 3501 §5.1.3), sequence sets, SEARCH,
// FETCH and STORE argument parsers, LIST pattern matching, and the response formatters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMailboxName, encodeMailboxName } from './mutf7.js';
import { formatSequenceSet, parseSequenceSet, resolveRanges } from './sequence.js';
import { parseSearch } from './search.js';
import { parseFetch } from './fetch.js';
import { parseStore } from './store.js';
import { listMatcher } from './list.js';
import { ArgError, parseImapDateTime, parseWith } from './args.js';
import { astr, formatInternalDate, str } from './response.js';
import { tokenize } from './tokenizer.js';
import type { Token } from './tokens.js';

function args(line: string): Token[] {
  const r = tokenize([{ kind: 'line', data: Buffer.from(`t X ${line}`) }]);
  if (r.kind !== 'request') throw new Error(r.text);
  return r.request.args;
}

test('modified UTF-7 round trips and rejects bad encodings', () => {
  assert.equal(encodeMailboxName('Bücher & Co'), 'B&APw-cher &- Co');
  assert.equal(encodeMailboxName('台北'), '&U,BTFw-');
  assert.equal(decodeMailboxName('&U,BTFw-'), '台北');
  assert.equal(decodeMailboxName('B&APw-cher &- Co'), 'Bücher & Co');
  assert.equal(decodeMailboxName('&AGE-'), null, 'encoded ASCII is not allowed');
  assert.equal(decodeMailboxName('&U,BTF'), null);
  assert.equal(decodeMailboxName('Bü'), null);
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
      assert.equal(decodeMailboxName(encodeMailboxName(s)), s);
    }),
    { seed: 7, numRuns: 500 },
  );
});

test('sequence sets', () => {
  const s = parseSequenceSet('1:3,7,9:*');
  assert.ok(s && s.kind === 'ranges');
  assert.deepEqual(resolveRanges(s.ranges, 12), [
    [1, 3],
    [7, 7],
    [9, 12],
  ]);
  const tail = parseSequenceSet('20:*');
  assert.ok(tail && tail.kind === 'ranges');
  assert.deepEqual(resolveRanges(tail.ranges, 5), [[5, 20]]);
  assert.equal(parseSequenceSet('0'), null);
  assert.equal(parseSequenceSet('1,,2'), null);
  assert.equal(parseSequenceSet('a'), null);
  assert.deepEqual(parseSequenceSet('$'), { kind: 'saved' });
  assert.equal(formatSequenceSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
});

test('SEARCH keys (RFC 9051 §6.4.4)', () => {
  const a = parseSearch(
    args('CHARSET UTF-8 OR SUBJECT "über" FROM bob NOT (SEEN LARGER 100) UID 1:* SINCE 1-Feb-2022'),
    false,
    true,
  );
  assert.equal(a.charset, 'UTF-8');
  assert.deepEqual(a.key, {
    kind: 'and',
    keys: [
      {
        kind: 'or',
        a: { kind: 'header', field: 'subject', value: 'über' },
        b: { kind: 'header', field: 'from', value: 'bob' },
      },
      {
        kind: 'not',
        key: {
          kind: 'and',
          keys: [
            { kind: 'flag', flag: '\\Seen', set: true },
            { kind: 'size', op: 'larger', size: 100 },
          ],
        },
      },
      { kind: 'uid', set: { kind: 'ranges', ranges: [{ from: 1, to: 0 }] } },
      { kind: 'date', field: 'internal', op: 'since', date: Date.UTC(2022, 1, 1) },
    ],
  });
  assert.deepEqual(parseSearch(args('RETURN () 1:5'), false, true).returns, ['ALL']);
  assert.throws(
    () => parseSearch(args('CHARSET KOI8-R ALL'), false, true),
    (e) => e instanceof ArgError && e.code === 'BADCHARSET',
  );
  for (const bad of ['', 'FROM', 'BEFORE 32-Jan-2020', 'LARGER x', 'OR ALL', 'BOGUS', 'HEADER X']) {
    assert.equal(parseWith(() => parseSearch(args(bad || '()'), false, true)).ok, false, bad);
  }
});

test('FETCH items, sections and partials (RFC 9051 §6.4.5)', () => {
  const f = parseFetch(
    args(
      '1:4 (UID BODY.PEEK[1.2.MIME] BODY[HEADER.FIELDS.NOT (Received)]<10.20> BINARY[2] RFC822.SIZE) (CHANGEDSINCE 5)',
    ),
  );
  assert.equal(f.changedSince, 5);
  assert.deepEqual(
    f.items.map((i) =>
      i.kind === 'section'
        ? `${i.binary ? 'BINARY' : 'BODY'}${i.peek ? '.PEEK' : ''}[${i.label}]${i.partial ? `<${i.partial.offset}.${i.partial.length}>` : ''}`
        : i.kind,
    ),
    ['uid', 'BODY.PEEK[1.2.MIME]', 'BODY[HEADER.FIELDS.NOT (RECEIVED)]<10.20>', 'BINARY[2]', 'rfc822.size'],
  );
  assert.deepEqual(
    parseFetch(args('1 FAST')).items.map((i) => i.kind),
    ['flags', 'internaldate', 'rfc822.size'],
  );
  for (const bad of [
    '1 BODY[MIME]',
    '1 BODY[1.]',
    '1 BODY[HEADER.FIELDS ()]',
    '1 BINARY[HEADER]',
    '1 FOO',
    'x FLAGS',
  ]) {
    assert.equal(parseWith(() => parseFetch(args(bad))).ok, false, bad);
  }
});

test('STORE arguments', () => {
  const s = parseStore(args('1:2 (UNCHANGEDSINCE 12) +FLAGS.SILENT (\\seen $Label)'));
  assert.deepEqual(s, {
    set: { kind: 'ranges', ranges: [{ from: 1, to: 2 }] },
    op: 'add',
    silent: true,
    flags: ['\\Seen', '$Label'],
    unchangedSince: 12,
  });
  assert.equal(parseWith(() => parseStore(args('1 FLAGS (\\Recent)'))).ok, false);
});

test('LIST patterns (RFC 9051 §6.3.9)', () => {
  const m = listMatcher('', '%');
  assert.ok(m('INBOX') && m('Sent') && !m('a/b'));
  const star = listMatcher('', 'Mail List/*');
  assert.ok(star('Mail List/SL-Devel') && !star('Mail List'));
  assert.ok(listMatcher('', 'inbox')('INBOX'));
  assert.ok(listMatcher('Lists/', '%')('Lists/a'));
});

test('response formatting and dates', () => {
  assert.equal(str('plain'), '"plain"');
  assert.equal(str('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(str('line\r\nbreak'), '{11}\r\nline\r\nbreak');
  assert.equal(str('über'), '{5}\r\nüber');
  assert.equal(str('über', true), '"über"');
  assert.equal(astr('INBOX'), 'INBOX');
  assert.equal(astr('Mail List'), '"Mail List"');
  assert.equal(formatInternalDate(Date.UTC(2022, 1, 8, 5, 52, 25)), '" 8-Feb-2022 05:52:25 +0000"');
  assert.equal(parseImapDateTime(' 7-Feb-2022 21:52:25 -0800'), Date.UTC(2022, 1, 8, 5, 52, 25));
});
