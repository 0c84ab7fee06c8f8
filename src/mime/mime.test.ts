import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bodyText,
  decodeEncodedWords,
  flattenAddresses,
  parseAddressList,
  parseContentType,
  parseMessage,
  walkParts,
} from './index.js';

test('RFC 2047 words are decoded and adjacent words joined', () => {
  assert.equal(decodeEncodedWords('=?UTF-8?Q?Gr=C3=BC?= =?UTF-8?Q?=C3=9Fe?= x'), 'Grüße x');
  assert.equal(decodeEncodedWords('=?ISO-8859-1?Q?Bj=F6rn?='), 'Björn');
  assert.equal(decodeEncodedWords('plain =?bogus'), 'plain =?bogus');
});

test('address lists: groups, quoted names, comments', () => {
  const items = parseAddressList('Team: a@x.example, "B, Two" <b@y.example>;, c@z.example (Cee)');
  const flat = flattenAddresses(items);
  assert.deepEqual(
    flat.map((a) => [a.address, a.name, a.group ?? null]),
    [
      ['a@x.example', '', 'Team'],
      ['b@y.example', 'B, Two', 'Team'],
      ['c@z.example', 'Cee', null],
    ],
  );
  assert.equal(flattenAddresses(parseAddressList('not an address'))[0]!.valid, false);
});

test('RFC 2231 continuations and charsets', () => {
  const ct = parseContentType("application/pdf; name*0*=UTF-8''f%C3%BC; name*1=r.pdf");
  assert.equal(ct.params['name'], 'für.pdf');
});

test('multipart tree with offsets, nested message and missing close delimiter', () => {
  const raw = Buffer.from(
    'Content-Type: multipart/mixed; boundary=A\r\n\r\npre\r\n--A\r\nContent-Type: text/plain; charset=iso-8859-1\r\n' +
      'Content-Transfer-Encoding: quoted-printable\r\n\r\nK=F6ln=\r\n!\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n' +
      'Subject: inner\r\n\r\nhi\r\n',
  );
  const root = parseMessage(raw);
  assert.equal(root.children.length, 2);
  assert.equal(root.missingCloseDelimiter, true);
  assert.equal(bodyText(raw, root.children[0]!), 'Köln!');
  assert.equal(root.children[1]!.message?.headers[0]?.value, 'inner');
  assert.deepEqual(
    walkParts(root).map((p) => p.partNumber),
    ['', '1', '2', '2'],
  );
});

test('malformed input does not throw', () => {
  for (const s of ['', '\r\n', 'Content-Type: multipart/mixed\r\n\r\n--', 'X'.repeat(100000), ':::\n\n\n']) {
    assert.doesNotThrow(() => parseMessage(Buffer.from(s)));
  }
});
