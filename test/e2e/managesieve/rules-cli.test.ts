// The rules CLI (src/cli/rules-command.ts) on a real Core of each engine: standard rules, the generated
// script and its folders, advanced mode from an imported script, the administrator's lock, plans,
// and service templates that run before the address's own rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES, engineAvailable, makeCore, type TestCore } from '../../kit/core.js';
import { addAddress, addDomain, setPlan, updateAddress } from '../../../src/core/directory/admin.js';
import { isMailError, type MailErrorCode } from '../../../src/core/errors.js';
import { getFolder } from '../../../src/core/mailbox/folders.js';
import { rulesCommand } from '../../../src/cli/rules-command.js';
import {
  addRule,
  getRules,
  putScript,
  renameScript,
  RULES_SCRIPT,
  serviceTemplateScripts,
  setActiveScript,
} from '../../../src/core/rules/index.js';
import { compile, runWith } from '../../../src/sieve/index.js';

const USER = 'alice@example.test';

async function setup(
  kind: (typeof ENGINES)[number],
): Promise<{ tc: TestCore; addressId: number; run: (...a: string[]) => Promise<string> }> {
  const tc = await makeCore(kind);
  await addDomain(tc.core, 'example.test');
  const account = await addAddress(tc.core, USER, { password: 'pw' });
  const run = async (...argv: string[]) => {
    const lines: string[] = [];
    await rulesCommand(tc.core, argv, (l) => lines.push(l));
    return lines.join('\n');
  };
  return { tc, addressId: account.addressId, run };
}

async function refuses(p: Promise<unknown>, code: MailErrorCode, re?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isMailError(e, code), `expected ${code}, got ${String(e)}`);
    if (re) assert.match((e as Error).message, re);
    return true;
  });
}

for (const kind of ENGINES) {
  test(`${kind}: standard rules from the CLI`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const { tc, addressId, run } = await setup(kind);
    try {
      assert.match(await run('rules', 'list', USER), /mode: no active script[\s\S]*no rules/);
      assert.match(
        await run(
          'rules',
          'add',
          USER,
          'Lists',
          '--if',
          'list-id contains dev.example.org',
          '--if',
          'from ends-with @example.org',
          '--any',
          '--then',
          'move Lists/Dev',
          '--then',
          'stop',
        ),
        /rule "Lists" added/,
      );
      await run(
        'rules',
        'add',
        USER,
        'Big',
        '--if',
        'size over 5M',
        '--then',
        'mark-read',
        '--then',
        'copy Big',
      );
      await run(
        'rules',
        'add',
        USER,
        'Boss',
        '--if',
        'from is boss@example.test',
        '--then',
        'flag',
        '--position',
        '1',
      );
      const list = await run('rules', 'list', USER);
      assert.match(list, /mode: standard rules/);
      assert.match(
        list,
        /1\. Boss[\s\S]*2\. Lists\n {3}if any of: list-id contains "dev.example.org"; from end "@example.org"\n {3}then move "Lists\/Dev", stop[\s\S]*3\. Big/,
      );
      // Saving created the folders the rules file into.
      assert.ok(await getFolder(tc.core, addressId, 'Lists/Dev'));
      assert.ok(await getFolder(tc.core, addressId, 'Big'));
      const sieve = await run('rules', 'show-sieve', USER);
      assert.ok(compile(sieve).ok, sieve);
      assert.match(
        sieve,
        /# rule: Boss\nif address :all :is "from" "boss@example.test" \{\n {2}addflag "\\\\Flagged";\n\}/,
      );
      assert.match(
        await run('sieve', 'list', USER),
        new RegExp(`^${RULES_SCRIPT}\\t\\d+ bytes\\tactive$`, 'm'),
      );
      assert.equal(await run('sieve', 'export', USER), sieve);

      await run('rules', 'disable', USER, 'boss');
      assert.match(await run('rules', 'list', USER), /1\. Boss \(disabled\)/);
      await run('rules', 'enable', USER, 'Boss');
      await run('rules', 'reorder', USER, 'Big', 'Boss', 'Lists');
      assert.match(await run('rules', 'list', USER), /1\. Big[\s\S]*2\. Boss[\s\S]*3\. Lists/);
      await run('rules', 'remove', USER, 'Boss');
      assert.doesNotMatch(await run('rules', 'list', USER), /Boss/);

      await refuses(run('rules', 'add', USER, 'Big', '--then', 'stop'), 'ALREADY_EXISTS');
      await refuses(
        run('rules', 'add', USER, 'X', '--if', 'date is today', '--then', 'stop'),
        'INVALID_ARGUMENT',
      );
      await refuses(run('rules', 'remove', USER, 'nope'), 'NOT_FOUND');
      await assert.rejects(
        run('rules', 'add', USER, 'X', '--if', 'nonsense', '--then', 'stop'),
        /PROPERTY OPERATOR VALUE/,
      );
      await assert.rejects(run('rules', 'frob'), /unknown rules command/);
    } finally {
      await tc.close();
    }
  });

  test(`${kind}: advanced mode keeps the rules but runs the imported script; plans and the lock`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const { tc, addressId, run } = await setup(kind);
    const dir = mkdtempSync(join(tmpdir(), 'ms-rules-'));
    try {
      await run('rules', 'add', USER, 'News', '--if', 'subject contains news', '--then', 'move News');
      const file = join(dir, 'work.siv');
      writeFileSync(file, 'require "fileinto";\nif address :is "from" "x@example.org" { fileinto "X"; }\n');
      assert.match(
        await run('sieve', 'import', USER, file, '--activate'),
        /script "work" imported and active/,
      );
      const v = await getRules(tc.core, addressId);
      assert.equal(v.mode, 'advanced');
      assert.equal(v.activeScript, 'work');
      assert.equal(v.rules.length, 1, 'rules are kept');
      assert.match(await run('rules', 'list', USER), /advanced: script "work" runs/);
      // A rule saved in advanced mode does not take over.
      await run('rules', 'add', USER, 'More', '--if', 'subject contains more', '--then', 'discard');
      assert.equal((await getRules(tc.core, addressId)).mode, 'advanced');
      await run('rules', 'standard', USER);
      assert.equal((await getRules(tc.core, addressId)).mode, 'standard');

      const bad = join(dir, 'bad.sieve');
      writeFileSync(bad, 'if true {\n  fileinto "x";\n}\n');
      await refuses(run('sieve', 'import', USER, bad), 'INVALID_ARGUMENT', /line 2, column 3/);

      // The rules script is data: it takes back what the rules generate, nothing else.
      const generated = (await getRules(tc.core, addressId)).script;
      await putScript(tc.core, addressId, RULES_SCRIPT, generated);
      await refuses(
        putScript(tc.core, addressId, RULES_SCRIPT, 'keep;'),
        'INVALID_ARGUMENT',
        /kept for the standard rules/,
      );
      await refuses(renameScript(tc.core, addressId, 'work', RULES_SCRIPT), 'INVALID_ARGUMENT');

      // The administrator's lock: the user is refused everywhere, the administrator is not.
      await updateAddress(tc.core, USER, { canManageRules: false });
      await refuses(
        addRule(tc.core, addressId, { name: 'Y', conditions: [], actions: [{ type: 'stop' }] }),
        'PERMISSION_DENIED',
      );
      await refuses(putScript(tc.core, addressId, 'other', 'keep;'), 'PERMISSION_DENIED');
      await refuses(setActiveScript(tc.core, addressId, null), 'PERMISSION_DENIED');
      assert.equal((await getRules(tc.core, addressId)).canManageRules, false);
      assert.match(await run('rules', 'list', USER), /locked by the administrator/);
      await run('rules', 'remove', USER, 'More');
      await updateAddress(tc.core, USER, { canManageRules: true });

      // Starter: no advanced mode, standard rules still work.
      await setPlan(tc.core, 'example.test', 'starter');
      await refuses(run('sieve', 'import', USER, file, '--name', 'again'), 'PLAN_LIMIT', /Starter/);
      await refuses(run('sieve', 'activate', USER, 'work'), 'PLAN_LIMIT');
      await run('rules', 'add', USER, 'Ok', '--if', 'to is alice@example.test', '--then', 'flag_seen');
      assert.equal((await getRules(tc.core, addressId)).advancedAllowed, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await tc.close();
    }
  });

  test(`${kind}: service templates, applied to every address, run first`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const { tc, run } = await setup(kind);
    try {
      assert.equal(await run('rules', 'template', 'list', 'example.test'), 'no templates');
      await run('rules', 'template', 'add', 'example.test', 'Newsletters', '--if', 'list-id contains news');
      await run(
        'rules',
        'template',
        'add',
        'example.test',
        'Spam',
        '--if',
        'type is spam',
        '--apply',
        '--then',
        'move Junk',
        '--then',
        'stop',
      );
      await refuses(
        run('rules', 'template', 'add', 'example.test', 'Bad', '--if', 'type is spam', '--apply'),
        'INVALID_ARGUMENT',
      );
      const list = await run('rules', 'template', 'list', 'example.test');
      assert.match(list, /Newsletters\tvisible\tall: list-id contains "news"/);
      assert.match(list, /Spam\tvisible, applied to every address/);
      const account = { serviceId: (await tc.core.store.directory.listServices())[0]!.id };
      const scripts = await serviceTemplateScripts(tc.core, account);
      assert.equal(scripts.length, 1);
      const c = compile(scripts[0]!.source);
      assert.ok(c.ok);
      const r = await runWith(
        c.script,
        Buffer.from('From: a@b.test\r\nX-Mailstead-Type: spam\r\nSubject: x\r\n\r\nx\r\n'),
        { from: 'a@b.test', to: USER },
        () => false,
      );
      assert.ok(r.actions.some((a) => a.type === 'fileinto' && a.mailbox === 'Junk'));
      await run('rules', 'template', 'remove', 'example.test', 'Spam');
      assert.deepEqual(await serviceTemplateScripts(tc.core, account), []);
    } finally {
      await tc.close();
    }
  });
}
