// Every condition, operator and action of the standard rules generates a script that compiles with
// our engine and does what the rule says when run against real messages (src/sieve runWith).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile, runWith, type SieveResult } from '../../sieve/index.js';
import { generateRulesScript } from './generate.js';
import { parseRulesScript } from './parse.js';
import { ruleFromMessage } from './from-message.js';
import {
  OPERATORS_BY_PROPERTY,
  RULE_ACTIONS,
  RULE_PROPERTIES,
  validateRule,
  type RuleCondition,
  type Rule,
} from './model.js';

function message(headers: Record<string, string>, body = 'Hello there.\r\n'): Buffer {
  const h = { From: 'Bob Example <bob@example.org>', To: 'alice@example.test', Subject: 'Hi', ...headers };
  const lines = Object.entries(h)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`);
  return Buffer.from(`${lines.join('\r\n')}\r\nMessage-ID: <1@example.org>\r\n\r\n${body}`);
}

async function run(rules: readonly unknown[], raw: Buffer): Promise<SieveResult> {
  const source = generateRulesScript(rules.map((r) => validateRule(r)));
  const c = compile(source);
  assert.ok(c.ok, `does not compile:\n${source}\n${JSON.stringify(!c.ok && c.errors)}`);
  const r = await runWith(c.script, raw, { from: 'bob@example.org', to: 'alice@example.test' }, () => false);
  assert.equal(r.status, 'ok', JSON.stringify(r.errors));
  return r;
}

const moved = (r: SieveResult, folder = 'Hit') =>
  r.actions.some((a) => a.type === 'fileinto' && a.mailbox === folder);

async function matches(c: RuleCondition, raw: Buffer): Promise<boolean> {
  return moved(await run([{ name: 'r', conditions: [c], actions: [{ type: 'move', value: 'Hit' }] }], raw));
}

// [condition, a message it matches, a message it does not match]
const CASES: Array<[RuleCondition, Buffer, Buffer]> = [
  [
    { property: 'from', operator: 'is', value: 'BOB@example.org' },
    message({}),
    message({ From: 'bob@example.net' }),
  ],
  [
    { property: 'from', operator: 'not', value: 'bob@example.org' },
    message({ From: 'eve@example.org' }),
    message({}),
  ],
  [
    { property: 'from', operator: 'contains', value: 'Bob Ex' },
    message({}),
    message({ From: 'eve@example.org' }),
  ],
  [
    { property: 'from', operator: 'begin', value: 'bob@' },
    message({}),
    message({ From: 'Bob <rob@example.org>' }),
  ],
  [
    { property: 'from', operator: 'end', value: '@example.org' },
    message({}),
    message({ From: 'x@example.org.evil' }),
  ],
  [
    { property: 'to', operator: 'is', value: 'team@example.test' },
    message({ To: 'a@b.test, Team <team@example.test>' }),
    message({}),
  ],
  [
    { property: 'cc', operator: 'contains', value: 'boss' },
    message({ Cc: 'The Boss <b@example.test>' }),
    message({}),
  ],
  [
    { property: 'cc', operator: 'end', value: 'example.test' },
    message({ Cc: 'b@example.test' }),
    message({ Cc: 'b@example.org' }),
  ],
  [
    { property: 'reply-to', operator: 'is', value: 'lists@example.org' },
    message({ 'Reply-To': 'lists@example.org' }),
    message({}),
  ],
  [
    { property: 'reply-to', operator: 'not', value: 'lists@example.org' },
    message({}),
    message({ 'Reply-To': 'lists@example.org' }),
  ],
  [
    { property: 'subject', operator: 'is', value: 'invoice 42' },
    message({ Subject: 'Invoice 42' }),
    message({ Subject: 'Invoice 43' }),
  ],
  [{ property: 'subject', operator: 'not', value: 'Hi' }, message({ Subject: 'Hello' }), message({})],
  [
    { property: 'subject', operator: 'contains', value: 'urgent' },
    message({ Subject: 'Re: URGENT stuff' }),
    message({}),
  ],
  // Wildcards in the user's text are literal: "Sale *" must not match "Sale today".
  [
    { property: 'subject', operator: 'begin', value: 'Sale *' },
    message({ Subject: 'Sale * now' }),
    message({ Subject: 'Sale today' }),
  ],
  [
    { property: 'subject', operator: 'end', value: '?' },
    message({ Subject: 'Lunch?' }),
    message({ Subject: 'Lunch' }),
  ],
  // Non-ASCII text folds with i;unicode-casemap (RFC 5051), on an RFC 2047 encoded subject.
  [
    { property: 'subject', operator: 'contains', value: 'ÉTÉ' },
    message({ Subject: '=?utf-8?q?Soldes_d=27=C3=A9t=C3=A9?=' }),
    message({}),
  ],
  [
    { property: 'list-id', operator: 'contains', value: 'dev.lists.example.org' },
    message({ 'List-Id': 'Dev <dev.lists.example.org>' }),
    message({}),
  ],
  [
    { property: 'list-id', operator: 'begin', value: 'Dev' },
    message({ 'List-Id': 'Dev <dev.lists.example.org>' }),
    message({ 'List-Id': '<x>' }),
  ],
  [
    { property: 'type', operator: 'is', value: 'spam' },
    message({ 'X-Mailstead-Type': 'spam' }),
    message({ 'X-Mailstead-Type': 'ham' }),
  ],
  [
    { property: 'type', operator: 'end', value: 'al' },
    message({ 'X-Mailstead-Type': 'transactional' }),
    message({}),
  ],
  [
    { property: 'body', operator: 'contains', value: 'unsubscribe' },
    message({}, 'Click to UNSUBSCRIBE\r\n'),
    message({}),
  ],
  [
    { property: 'body', operator: 'not', value: 'unsubscribe' },
    message({}),
    message({}, 'unsubscribe here\r\n'),
  ],
  [{ property: 'size', operator: 'over', value: '1K' }, message({}, 'x'.repeat(2000)), message({})],
  [{ property: 'size', operator: 'under', value: '0.5k' }, message({}), message({}, 'x'.repeat(600))],
];

test('every property and operator is covered by a case', () => {
  for (const p of RULE_PROPERTIES)
    for (const o of OPERATORS_BY_PROPERTY[p]) {
      if (p === 'to' || p === 'cc' || p === 'reply-to' || p === 'list-id' || p === 'type') continue; // same code as from/subject
      assert.ok(
        CASES.some(([c]) => c.property === p && c.operator === o),
        `no case for ${p} ${o}`,
      );
    }
});

for (const [c, yes, no] of CASES) {
  test(`${c.property} ${c.operator} ${JSON.stringify(c.value)}`, async () => {
    assert.equal(await matches(c, yes), true, 'should match');
    assert.equal(await matches(c, no), false, 'should not match');
  });
}

test('all-of and any-of', async () => {
  const conditions = [
    { property: 'from', operator: 'end', value: '@example.org' },
    { property: 'subject', operator: 'contains', value: 'report' },
  ];
  const rule = (allOf: boolean) => [
    { name: 'r', allOf, conditions, actions: [{ type: 'move', value: 'Hit' }] },
  ];
  assert.equal(moved(await run(rule(true), message({ Subject: 'weekly report' }))), true);
  assert.equal(moved(await run(rule(true), message({}))), false);
  assert.equal(moved(await run(rule(false), message({}))), true);
  assert.equal(moved(await run(rule(false), message({ From: 'x@y.test' }))), false);
});

test('actions: move cancels the implicit keep, copy keeps it, forward keeps a copy', async () => {
  const one = (actions: unknown[]) => run([{ name: 'r', conditions: [], actions }], message({}));
  const move = await one([{ type: 'move', value: 'Lists/Dev' }]);
  assert.deepEqual(
    move.actions.map((a) => a.type),
    ['fileinto'],
  );
  assert.equal(move.implicitKeep, null);
  const copy = await one([{ type: 'copy', value: 'Archive' }]);
  assert.ok(copy.actions.some((a) => a.type === 'fileinto' && a.copy && a.mailbox === 'Archive'));
  assert.notEqual(copy.implicitKeep, null);
  const fwd = await one([{ type: 'forward', value: 'partner@example.net' }]);
  assert.ok(fwd.actions.some((a) => a.type === 'redirect' && a.copy && a.address === 'partner@example.net'));
  assert.notEqual(fwd.implicitKeep, null);
  const del = await one([{ type: 'discard' }]);
  assert.ok(del.actions.some((a) => a.type === 'discard'));
  assert.equal(del.implicitKeep, null);
});

test('actions: mark as read and flag apply to the rule own fileinto and to the kept copy', async () => {
  const r = await run(
    [
      {
        name: 'r',
        conditions: [],
        actions: [{ type: 'move', value: 'Read' }, { type: 'flag_seen' }, { type: 'flag' }],
      },
    ],
    message({}),
  );
  const f = r.actions.find((a) => a.type === 'fileinto');
  assert.ok(f && f.type === 'fileinto');
  assert.deepEqual([...(f.flags ?? [])].sort(), ['\\Flagged', '\\Seen']);
  const keep = await run([{ name: 'r', conditions: [], actions: [{ type: 'flag_seen' }] }], message({}));
  assert.deepEqual(keep.implicitKeep?.flags, ['\\Seen']);
});

test('stop ends processing; a disabled rule does not run; rules run in order', async () => {
  const rules = [
    { name: 'first', conditions: [], actions: [{ type: 'copy', value: 'A' }, { type: 'stop' }] },
    { name: 'second', conditions: [], actions: [{ type: 'move', value: 'B' }] },
  ];
  const r = await run(rules, message({}));
  assert.ok(moved(r, 'A'));
  assert.ok(!moved(r, 'B'));
  const r2 = await run([{ ...rules[0], enabled: false }, rules[1]], message({}));
  assert.ok(!moved(r2, 'A'));
  assert.ok(moved(r2, 'B'));
  const src = generateRulesScript([validateRule({ ...rules[0], enabled: false })]);
  assert.match(src, /# rule: first \(disabled\)/);
  assert.doesNotMatch(src, /\bif\b/);
});

test('every action type is accepted and compiles', async () => {
  for (const type of RULE_ACTIONS) {
    const value = type === 'move' || type === 'copy' ? 'F' : type === 'forward' ? 'a@example.net' : undefined;
    await run(
      [{ name: type, conditions: [], actions: [{ type, ...(value ? { value } : {}) }] }],
      message({}),
    );
  }
});

test('the script is readable: names as comments right above their code, one require line', () => {
  const rules = [
    validateRule({
      name: 'News "letters"',
      conditions: [{ property: 'list-id', operator: 'contains', value: 'news' }],
      actions: [{ type: 'move', value: 'News' }, { type: 'stop' }],
    }),
  ];
  const src = generateRulesScript(rules);
  assert.match(src, /^require \["fileinto"\];$/m);
  assert.match(
    src,
    /# rule: News "letters"\nif header :contains "list-id" "news" \{\n {2}fileinto "News";\n {2}stop;\n\}/,
  );
});

test('round trip: parse(generate(rules)) gives the rules back; a hand-edited script is not rules', () => {
  const rules: Rule[] = [
    validateRule({
      name: 'Été',
      allOf: false,
      conditions: [
        { property: 'subject', operator: 'begin', value: 'a "quoted" \\ *wild*' },
        { property: 'size', operator: 'over', value: '2M' },
      ],
      actions: [{ type: 'forward', value: 'x@example.net' }, { type: 'flag' }],
      templateId: 'abc',
    }),
    validateRule({ name: 'off', enabled: false, conditions: [], actions: [{ type: 'discard' }] }),
  ];
  const src = generateRulesScript(rules);
  assert.deepEqual(parseRulesScript(src), rules);
  assert.deepEqual(parseRulesScript(src.replace(/\n/g, '\r\n')), rules);
  assert.equal(parseRulesScript(src.replace('addflag', 'addflag "x";\n  addflag')), null);
  assert.equal(parseRulesScript('keep;'), null);
  assert.equal(parseRulesScript('# mailstead-rules 1\n# mailstead-rule {bad json\n'), null);
});

test('validation refuses what the model does not have', () => {
  const bad = [
    { name: '', conditions: [], actions: [{ type: 'stop' }] },
    { name: 'x', conditions: [], actions: [] },
    {
      name: 'x',
      conditions: [{ property: 'date', operator: 'is', value: '1' }],
      actions: [{ type: 'stop' }],
    },
    {
      name: 'x',
      conditions: [{ property: 'size', operator: 'contains', value: '1' }],
      actions: [{ type: 'stop' }],
    },
    {
      name: 'x',
      conditions: [{ property: 'size', operator: 'over', value: 'big' }],
      actions: [{ type: 'stop' }],
    },
    {
      name: 'x',
      conditions: [{ property: 'body', operator: 'is', value: 'a' }],
      actions: [{ type: 'stop' }],
    },
    { name: 'x', conditions: [{ property: 'from', operator: 'is', value: '' }], actions: [{ type: 'stop' }] },
    {
      name: 'x',
      conditions: [{ property: 'from', operator: 'is', value: 'a\nb' }],
      actions: [{ type: 'stop' }],
    },
    { name: 'x', conditions: [], actions: [{ type: 'reject' }] },
    { name: 'x', conditions: [], actions: [{ type: 'move' }] },
    { name: 'x', conditions: [], actions: [{ type: 'forward', value: 'not an address' }] },
    { name: 'x', conditions: [], actions: [{ type: 'stop', value: 'x' }] },
    { name: 'x\ny', conditions: [], actions: [{ type: 'stop' }] },
  ];
  for (const b of bad) assert.throws(() => validateRule(b), /./, JSON.stringify(b));
});

test('a rule from a received message: List-Id first, then From, To, Subject without Re:', () => {
  const d = ruleFromMessage(
    message({ 'List-Id': 'Dev list <dev.lists.example.org>', Subject: 'Re: Fwd: =?utf-8?q?R=C3=A9union?=' }),
  );
  assert.equal(d.name, 'List dev.lists.example.org');
  assert.deepEqual(d.conditions, [
    { property: 'list-id', operator: 'contains', value: 'dev.lists.example.org' },
  ]);
  assert.deepEqual(
    d.suggestions.map((c) => [c.property, c.value]),
    [
      ['list-id', 'dev.lists.example.org'],
      ['from', 'bob@example.org'],
      ['to', 'alice@example.test'],
      ['subject', 'Réunion'],
    ],
  );
  const plain = ruleFromMessage(message({}));
  assert.deepEqual(plain.conditions, [{ property: 'from', operator: 'is', value: 'bob@example.org' }]);
  // The draft becomes a rule once the user picks an action.
  validateRule({ ...plain, actions: [{ type: 'move', value: 'Bob' }] });
});
