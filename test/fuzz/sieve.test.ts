// Seeded fuzzing of the Sieve compiler and runtime: random scripts built from the grammar's pieces
// (and plain random text) compile or report errors without throwing; scripts that compile run to a
// result on random messages within a time bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile, run, type RunOptions, type SieveEvent, type SieveResult } from '../../src/sieve/index.js';
import { corpus, guard, params, withinTime } from './fuzz-kit.js';

const EXT = [
  'fileinto',
  'variables',
  'regex',
  'imap4flags',
  'envelope',
  'body',
  'relational',
  'comparator-i;ascii-numeric',
  'copy',
  'reject',
  'ereject',
  'vacation',
  'include',
  'mime',
  'foreverypart',
  'editheader',
  'date',
  'index',
  'enotify',
  'duplicate',
  'mailbox',
  'subaddress',
  'encoded-character',
  'extracttext',
  'spamtest',
  'ihave',
  'environment',
  'special-use',
  'extlists',
  'nonsense',
];
// Strings: plain, variables, wildcards, encoded characters, and regexes, nested quantifiers
// included (the :regex matcher is linear: see the regressions below).
const str = fc.oneof(
  fc.constantFrom(
    '',
    'x',
    'INBOX',
    'Junk',
    'a@b.test',
    'user+tag@example.test',
    '${1}',
    '${var}',
    '${0}',
    '${unknown.ns}',
    '*',
    '?',
    '*@*',
    'a*b?c',
    '\\\\',
    '\\"',
    '${hex:41 42}',
    '${unicode:1F600}',
    '${hex:zz}',
    '^[a-z]+$',
    '(foo|bar)',
    '[[:alpha:]]',
    '.*',
    'a{2,3}',
    '^(a+)+$',
    '(a|aa)*b',
    '(.*x){1,5}$',
    '^([a-z]+|[[:alpha:]]*)*[[:digit:]]$',
    '(',
    '[',
    'x\\',
    'Subject',
    'X-Spam-Score',
    '100K',
    'ge',
    'lt',
  ),
  fc.string({ maxLength: 12 }).map((s) => s.replace(/["\\]/g, '')),
);
const q = str.map((s) => `"${s}"`);
const strList = fc
  .array(q, { minLength: 1, maxLength: 3 })
  .map((xs) => (xs.length === 1 ? xs[0]! : `[${xs.join(', ')}]`));
const match = fc.constantFrom(
  ':is',
  ':contains',
  ':matches',
  ':regex',
  ':value "ge"',
  ':count "gt"',
  ':value "zz"',
  '',
);
const comparator = fc.constantFrom(
  '',
  ':comparator "i;octet"',
  ':comparator "i;ascii-casemap"',
  ':comparator "i;ascii-numeric"',
  ':comparator "bogus"',
);
const addrPart = fc.constantFrom('', ':all', ':localpart', ':domain', ':user', ':detail');

const testExpr: fc.Memo<string> = fc.memo((d: number) => {
  const leaf = fc.oneof(
    fc.tuple(match, comparator, strList, strList).map(([m, c, a, b]) => `header ${m} ${c} ${a} ${b}`),
    fc.tuple(addrPart, match, strList, strList).map(([p, m, a, b]) => `address ${p} ${m} ${a} ${b}`),
    fc.tuple(addrPart, match, strList).map(([p, m, b]) => `envelope ${p} ${m} ["from", "to"] ${b}`),
    fc
      .tuple(fc.constantFrom(':over', ':under'), fc.constantFrom('0', '1', '10K', '1M', '99999999999G'))
      .map(([o, n]) => `size ${o} ${n}`),
    strList.map((a) => `exists ${a}`),
    fc.tuple(match, strList).map(([m, b]) => `body :text ${m} ${b}`),
    fc.tuple(match, strList, strList).map(([m, a, b]) => `string ${m} ${a} ${b}`),
    strList.map((b) => `hasflag ${b}`),
    fc.tuple(match, strList).map(([m, b]) => `currentdate ${m} "hour" ${b}`),
    fc.tuple(match, strList).map(([m, b]) => `date ${m} "date" "year" ${b}`),
    fc.constantFrom(
      'true',
      'false',
      'duplicate',
      'mailboxexists "INBOX"',
      'spamtest :value "ge" :comparator "i;ascii-numeric" "3"',
      'ihave "body"',
      'environment "name" "x"',
    ),
  );
  return d <= 0
    ? leaf
    : fc.oneof(
        { weight: 4, arbitrary: leaf },
        testExpr(d - 1).map((t) => `not ${t}`),
        fc
          .tuple(fc.constantFrom('anyof', 'allof'), fc.array(testExpr(d - 1), { minLength: 1, maxLength: 3 }))
          .map(([k, ts]) => `${k} (${ts.join(', ')})`),
      );
});

const command: fc.Memo<string> = fc.memo((d: number) => {
  const simple = fc.oneof(
    fc.constantFrom(
      'keep;',
      'discard;',
      'stop;',
      'return;',
      'redirect "x@remote.test";',
      'redirect :copy "y@remote.test";',
      'reject "no";',
      'ereject "no";',
    ),
    q.map((s) => `fileinto ${s};`),
    q.map((s) => `fileinto :copy :create ${s};`),
    fc.tuple(q, q).map(([a, b]) => `set ${a} ${b};`),
    fc
      .tuple(fc.constantFrom('', ':lower', ':upper', ':quotewildcard', ':length', ':encodeurl'), q, q)
      .map(([m, a, b]) => `set ${m} ${a} ${b};`),
    strList.map((f) => `addflag ${f};`),
    strList.map((f) => `setflag ${f};`),
    strList.map((f) => `removeflag ${f};`),
    fc.tuple(q, q).map(([a, b]) => `addheader ${a} ${b};`),
    q.map((a) => `deleteheader ${a};`),
    fc.tuple(q, q).map(([s, b]) => `vacation :days 1 :subject ${s} ${b};`),
    q.map((s) => `notify "mailto:x@remote.test" ${s};`.replace(' "', ' :message "')),
    q.map((s) => `include :personal ${s};`),
    q.map((s) => `extracttext "t"; ${s.length > 2 ? '' : ''}`),
  );
  return d <= 0
    ? simple
    : fc.oneof(
        { weight: 4, arbitrary: simple },
        fc
          .tuple(
            testExpr(2),
            fc.array(command(d - 1), { maxLength: 3 }),
            fc.option(fc.array(command(d - 1), { maxLength: 2 })),
          )
          .map(([t, a, e]) => `if ${t} { ${a.join(' ')} }${e ? ` else { ${e.join(' ')} }` : ''}`),
        fc.array(command(d - 1), { maxLength: 3 }).map((cs) => `foreverypart { ${cs.join(' ')} }`),
      );
});

const script = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.subarray(EXT), fc.array(command(3), { maxLength: 8 }))
      .map(([req, cs]) => `require [${req.map((r) => `"${r}"`).join(', ')}];\n${cs.join('\n')}\n`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'require "variables"; set "a" "${',
      'if',
      '{{{{',
      'require ["x"',
      '/* unterminated',
      'text:\r\nno end',
      '"\\',
      'if true { if true { if true { keep; } } }',
    ),
  },
);

const messages = [
  'From: A <a@remote.test>\r\nTo: user+tag@example.test\r\nSubject: foo bar\r\nX-Spam-Score: 7\r\nDate: Mon, 2 Jan 2026 10:00:00 +0000\r\n\r\nbody text unsubscribe\r\n',
  'Subject: =?utf-8?B?w6k=?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--b--\r\n',
  '\r\n',
  'From: <>\r\nFrom: second@x\r\nTo: undisclosed-recipients:;\r\n\r\n',
].map((m) => Buffer.from(m, 'latin1'));

function answer(ev: SieveEvent): unknown {
  switch (ev.type) {
    case 'mailbox-exists':
      return ev.mailbox !== 'Junk';
    case 'current-date':
      return new Date(Date.UTC(2026, 0, 2, 10));
    case 'environment':
      return 'mailstead';
    case 'include':
      return null;
    default:
      return false;
  }
}

function check(source: string): boolean {
  return guard('sieve', Buffer.from(source, 'utf8'), () => checkOne(source));
}

function checkOne(source: string): boolean {
  return withinTime(3000, 'Sieve compile + run', () => {
    const c = compile(source, { name: 'fuzz' });
    if (!c.ok) {
      assert.ok(c.errors.length > 0);
      return false;
    }
    for (const raw of messages) {
      const gen = run(c.script, raw, { from: 'a@remote.test', to: 'user+tag@example.test' }, {});
      let step = gen.next();
      for (let i = 0; !step.done; i++) {
        assert.ok(i < 10_000, 'runtime asks questions forever');
        step = gen.next(answer(step.value));
      }
      assert.equal(typeof step.value.status, 'string');
    }
    return true;
  });
}

test('fuzz: Sieve compiler and runtime on generated scripts', () => {
  for (const input of corpus('sieve')) check(input.toString('utf8'));
  let compiled = 0;
  let total = 0;
  fc.assert(
    fc.property(script, (s) => {
      total++;
      if (check(s)) compiled++;
    }),
    params(300, 6000),
  );
  // The generator must keep producing valid scripts, or the runtime goes unfuzzed.
  assert.ok(compiled >= total / 20, `only ${compiled} of ${total} generated scripts compiled`);
});

/** Runs a compiled script on `raw` to its result, answering the runtime's questions. */
function runToEnd(script: string, raw: Buffer, options: RunOptions = {}): SieveResult {
  const c = compile(script, { name: 'redos' });
  assert.ok(c.ok, JSON.stringify(c.ok ? '' : c.errors));
  const gen = run(c.script, raw, { from: 'a@remote.test', to: 'b@example.test' }, options);
  let step = gen.next();
  while (!step.done) step = gen.next(answer(step.value));
  return step.value;
}

test('regression: a nested-quantifier :regex on a crafted header is linear (was ReDoS)', () => {
  // On the backtracking RegExp this took ~90 s of CPU for a 30-character subject.
  const script = 'require ["regex", "variables"];\nif header :regex "subject" "^(a+)+$" { discard; }\n';
  for (const n of [18, 30, 50_000]) {
    const raw = Buffer.from(`Subject: ${'a'.repeat(n)}X\r\n\r\nx\r\n`);
    const t0 = performance.now();
    const r = runToEnd(script, raw);
    const took = performance.now() - t0;
    assert.equal(r.status, 'ok');
    assert.ok(!r.actions.some((a) => a.type === 'discard'));
    // Generous: a correctness bound, not a benchmark (it takes about 1 ms per 1000 characters).
    assert.ok(took < 2_000, `took ${took.toFixed(0)} ms for ${n} characters`);
  }
});

test('regression: adversarial :regex keys on long headers finish quickly', () => {
  const alts = Array.from({ length: 100 }, (_, i) => `k${i}q`).join('|');
  const keys = ['(x+x+)+y', '^(a|aa)*$', '(.*a){10}z', `(${alts})$`, '^(([a-z])+.)+[[:digit:]]$']
    .map((k) => `"${k}"`)
    .join(', ');
  const script = `require ["regex", "variables"];\nif header :regex ["subject", "x-long"] [${keys}] { discard; }\n`;
  const raw = Buffer.from(`Subject: ${'x'.repeat(5_000)}\r\nX-Long: ${'a'.repeat(5_000)}!\r\n\r\nx\r\n`);
  const t0 = performance.now();
  const r = runToEnd(script, raw);
  const took = performance.now() - t0;
  assert.ok(!r.actions.some((a) => a.type === 'discard'));
  assert.ok(took < 3_000, `took ${took.toFixed(0)} ms`);
});

test('regression: one long :regex match is stopped by the CPU time limit', () => {
  // 1 MB of body text and a 500-alternative key: linear, but long; the engine's time limit
  // must be able to stop it mid-match (it could not interrupt a RegExp).
  const alts = Array.from({ length: 500 }, (_, i) => `(w${i}z)`).join('|');
  const script = `require ["regex", "body"];\nif body :text :regex "^(${alts})+$" { discard; }\n`;
  const raw = Buffer.from(`Subject: x\r\n\r\n${'w1zw2zw3z'.repeat(110_000)}\r\n`);
  const t0 = performance.now();
  const r = runToEnd(script, raw, { limits: { maxCpuTime: 0.25 } });
  const took = performance.now() - t0;
  assert.equal(r.status, 'error');
  assert.match(r.errors.map((e) => e.message).join('\n'), /CPU time limit/);
  assert.ok(took < 3_000, `took ${took.toFixed(0)} ms with a 0.25 s limit`);
});

test('regression: many-star :matches keys on a long header finish quickly (were polynomial)', () => {
  // "*a*a*a*a*a*a*b" ran as a backtracking RegExp: seconds for 100 characters, growing as n^7.
  const script =
    'require ["variables"];\nif header :matches "subject" ["*a*a*a*a*a*a*b", "*?*?*?*?*?*?*?*x"] { discard; }\n';
  const raw = Buffer.from(`Subject: ${'a'.repeat(20_000)}\r\n\r\nx\r\n`);
  const t0 = performance.now();
  const r = runToEnd(script, raw);
  const took = performance.now() - t0;
  assert.ok(!r.actions.some((a) => a.type === 'discard'));
  assert.ok(took < 3_000, `took ${took.toFixed(0)} ms`);
});
