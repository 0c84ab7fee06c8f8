import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compile, run, type SieveEvent, type SieveResult } from './index.js';

const MSG = Buffer.from(
  'From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Hello there\r\n\r\nBody\r\n',
);

function exec(src: string, answer: (e: SieveEvent) => unknown = () => false): SieveResult {
  const c = compile(src);
  assert.ok(c.ok, c.ok ? '' : JSON.stringify(c.errors));
  const gen = run(c.script, MSG, { from: 'alice@example.com', to: 'bob@example.net' });
  let step = gen.next();
  while (!step.done) step = gen.next(answer(step.value));
  return step.value;
}

test('compile errors carry line and column', () => {
  const r = compile('require "fileinto";\nfileinto "x"\nkeep;');
  assert.equal(r.ok, false);
  if (!r.ok) assert.deepEqual([r.errors[0]!.line, r.errors[0]!.column], [2, 1]);
  const u = compile('frobnicate;');
  assert.equal(u.ok, false);
});

test('the compiled script is JSON round-trippable', () => {
  const c = compile(
    'require ["fileinto","variables"]; if header :matches "subject" "* *" { fileinto "${2}"; }',
  );
  assert.ok(c.ok);
  const again = JSON.parse(JSON.stringify(c.script));
  const gen = run(again, MSG, { from: 'a@b.c', to: 'bob@example.net' });
  const r = gen.next();
  assert.ok(r.done);
  assert.deepEqual(r.value.actions, [{ type: 'fileinto', mailbox: 'there', copy: false, create: false }]);
  assert.equal(r.value.implicitKeep, null);
});

test('host questions are yielded and answered', () => {
  const seen: string[] = [];
  const r = exec(
    'require ["mailbox","fileinto"]; if mailboxexists "Archive" { fileinto "Archive"; }',
    (e) => {
      seen.push(e.type);
      return true;
    },
  );
  assert.deepEqual(seen, ['mailbox-exists']);
  assert.equal(r.actions[0]?.type, 'fileinto');
});

test('runtime errors fall back to the implicit keep', () => {
  const r = exec('require "reject"; reject "a"; reject "b";');
  assert.equal(r.status, 'error');
  assert.deepEqual(r.implicitKeep, {});
});

test('step limit stops runaway scripts', () => {
  const c = compile('require "variables"; set "a" "x"; if string :matches "${a}" "*" { keep; }');
  assert.ok(c.ok);
  const gen = run(c.script, MSG, { from: 'a@b.c', to: 'b@c.d' }, { limits: { maxSteps: 2 } });
  const r = gen.next();
  assert.ok(r.done && r.value.status === 'error');
});
