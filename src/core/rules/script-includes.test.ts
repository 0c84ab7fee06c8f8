// Compile-time include checks when scripts are stored (ManageSieve PUTSCRIPT/CHECKSCRIPT/SETACTIVE,
// through scripts.ts), as Pigeonhole: on upload a missing include is a warning (RFC 5804 lets it
// be stored) and so is a circular one unless the active script is replaced; activation is strict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCore } from '../../../test/kit/core.js';
import * as admin from '../directory/admin.js';
import { resolveRecipient } from '../directory/resolve.js';
import { MailError } from '../errors.js';
import { putGlobalScript } from '../sieve/script-sources.js';
import { checkScript, putScript, setActiveScript } from './scripts.js';

const invalid = (pattern: RegExp) => (e: unknown) =>
  e instanceof MailError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message);

test('stored scripts: include checks at PUTSCRIPT, CHECKSCRIPT and SETACTIVE', async (t) => {
  const tc = await makeCore('sqlite');
  const { core } = tc;
  try {
    await admin.addDomain(core, 'a.test');
    await admin.addAddress(core, 'user@a.test', { password: 'x' });
    const r = await resolveRecipient(core, 'user@a.test');
    assert.equal(r.kind, 'local');
    const id = (r as { addressId: number }).addressId;

    await t.test('a missing include is stored with a warning, but cannot be activated', async () => {
      const src = 'require "include";\ninclude "later";\n';
      const warning =
        "line 2, column 1: included personal script 'later' does not exist (ignored during upload)";
      assert.deepEqual((await checkScript(core, id, src)).warnings, [warning]);
      assert.deepEqual((await putScript(core, id, 'main', src)).warnings, [warning]);
      await assert.rejects(
        setActiveScript(core, id, 'main'),
        invalid(/included personal script 'later' does not exist/),
      );
      await putScript(core, id, 'later', 'keep;');
      await setActiveScript(core, id, 'main');
    });

    await t.test('an optional or existing global include is fine', async () => {
      await putGlobalScript(core, 'spam', 'require "fileinto";\nfileinto "Junk";');
      const src = 'require "include";\ninclude :global "spam";\ninclude :optional "nope";\n';
      assert.deepEqual((await checkScript(core, id, src)).warnings, []);
      assert.deepEqual(
        (await checkScript(core, id, 'require "include";\ninclude :global "nospam";\n')).warnings,
        ["line 2, column 1: included global script 'nospam' does not exist (ignored during upload)"],
      );
      await putGlobalScript(core, 'spam', null);
    });

    await t.test('an included script that does not compile is an error', async () => {
      await putScript(core, id, 'broken-base', 'keep;');
      await core.store.sieve.put(id, 'broken-base', 'if true {');
      await assert.rejects(
        checkScript(core, id, 'require "include";\ninclude "broken-base";\n'),
        invalid(/failed to compile included script 'broken-base'/),
      );
    });

    await t.test('circular: a warning for an inactive script, an error for the active one', async () => {
      await putScript(core, id, 'loop-b', 'require "include";\ninclude "loop-a";\n');
      const a = 'require "include";\ninclude "loop-b";\n';
      const put = await putScript(core, id, 'loop-a', a);
      assert.deepEqual(put.warnings, [
        "line 2, column 1: included script 'loop-b': circular include (ignored during upload)",
      ]);
      await assert.rejects(setActiveScript(core, id, 'loop-a'), invalid(/circular include/));
      // Replacing the active script with one that includes itself.
      await assert.rejects(
        putScript(core, id, 'main', 'require "include";\ninclude "main";\n'),
        invalid(/circular include/),
      );
      // The stored script is still the one before.
      assert.match((await core.store.sieve.get(id, 'main'))!.source, /include "later"/);
    });
  } finally {
    await tc.close();
  }
});
