// The generated Sieve: readable, compiles for every combination of options, and quotes user text
// so it can't escape its string.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../../sieve/index.js';
import { buildAutoReply, DEFAULT_DAYS, DEFAULT_ZONE, type AutoReply, type AutoReplyInput } from './model.js';
import { generateAutoReplyScript } from './script.js';

const BASE: AutoReply = {
  id: 'abc123',
  name: 'Holiday',
  message: 'x',
  zone: DEFAULT_ZONE,
  dontReplyTo: [],
  days: DEFAULT_DAYS,
  isActive: true,
  createdAt: 0,
  updatedAt: 0,
};

const make = (input: AutoReplyInput): AutoReply =>
  buildAutoReply(BASE, input, ['me@a.test', 'alias@b.test'], 0);

test('the plain auto-reply is one vacation command', () => {
  const s = generateAutoReplyScript(make({ message: 'Away.' }), 0);
  assert.equal(
    s,
    '# Mailstead auto-reply "Holiday", generated: change it in the auto-reply settings.\n' +
      'require "vacation";\n' +
      'vacation :days 1 :handle "mailstead-autoreply-abc123-0" "Away.";\n',
  );
  assert.ok(compile(s).ok);
});

test('every option together compiles, with the window, weekdays and exemptions as tests', () => {
  const r = make({
    message: 'Line 1\n"quoted" \\ back\n}; discard;\n',
    subject: 'Out "of" office',
    startsAt: Date.UTC(2025, 5, 1, 8, 30),
    endsAt: Date.UTC(2025, 5, 30),
    recurrentDays: ['fri', 'mon'],
    zone: '+0200',
    dontReplyTo: ['Boss@A.test', 'hr@a.test'],
    replyFrom: 'ALIAS@b.test',
    days: 7,
  });
  const s = generateAutoReplyScript(r, 3);
  const c = compile(s);
  assert.ok(c.ok, JSON.stringify(!c.ok && c.errors));
  assert.match(s, /^require \["vacation", "date", "relational", "envelope"\];$/m);
  assert.match(
    s,
    /currentdate :zone "\+0000" :value "ge" :comparator "i;octet" "iso8601" "2025-06-01T08:30:00Z"/,
  );
  assert.match(
    s,
    /currentdate :zone "\+0000" :value "lt" :comparator "i;octet" "iso8601" "2025-06-30T00:00:00Z"/,
  );
  assert.match(s, /currentdate :zone "\+0200" :is "weekday" \["1", "5"\]/);
  assert.match(s, /not address :all :is "from" \["boss@a\.test", "hr@a\.test"\]/);
  assert.match(s, /not envelope :all :is "from" \["boss@a\.test", "hr@a\.test"\]/);
  assert.match(
    s,
    /:days 7 :handle "mailstead-autoreply-abc123-3" :from "alias@b\.test" :subject "Out \\"of\\" office"/,
  );
  // The message stays one string: its "}; discard;" is text, not commands.
  assert.ok(s.includes('"Line 1\n\\"quoted\\" \\\\ back\n}; discard;\n";'));
});

test('a reset changes the handle, so the memory starts afresh', () => {
  const r = make({ message: 'Away.' });
  assert.notEqual(generateAutoReplyScript(r, 0), generateAutoReplyScript(r, 1));
});

test('the longest message still compiles', () => {
  const s = generateAutoReplyScript(make({ message: '"\\'.repeat(32_768) }), 0);
  assert.ok(compile(s).ok);
});
