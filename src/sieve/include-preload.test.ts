// Compile-time include checks over an asynchronous store (include-preload.ts), and Pigeonhole's
// upload rules: missing and circular includes are warnings on upload, errors otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileWithIncludes, directIncludes, preloadIncludes, type IncludeFetch } from './index.js';

function store(scripts: Record<string, string>): { fetch: IncludeFetch; fetched: string[] } {
  const fetched: string[] = [];
  return {
    fetched,
    fetch: async (location, name) => {
      fetched.push(`${location}:${name}`);
      await new Promise((r) => setImmediate(r));
      return scripts[`${location}:${name}`];
    },
  };
}

const messages = (xs: readonly { message: string }[]): string[] => xs.map((x) => x.message);

test('include preload: direct includes are the constant names of include commands', () => {
  const refs = directIncludes(
    'require ["include", "variables"];\nif true { include "a"; }\ninclude :global "g";\ninclude :optional "a";\n',
  );
  assert.deepEqual(refs, [
    { location: 'personal', name: 'a' },
    { location: 'global', name: 'g' },
  ]);
});

test('include preload: fetches every reachable script, each once', async () => {
  const { fetch, fetched } = store({
    'personal:a': 'require "include"; include "b"; include :global "g";',
    'personal:b': 'require "include"; include "a"; include :optional "gone";',
    'global:g': 'keep;',
  });
  const map = await preloadIncludes('require "include"; include "a"; include "b";', {}, fetch);
  assert.deepEqual([...fetched].sort(), ['global:g', 'personal:a', 'personal:b', 'personal:gone']);
  assert.equal(map.get('personal:gone'), null);
});

test('include preload: a missing include fails a compile, but only warns on upload', async () => {
  const { fetch } = store({ 'personal:a': 'require "include"; include "missing";' });
  const src = 'require "include";\ninclude "a";\n';
  const strict = await compileWithIncludes(src, {}, fetch);
  assert.equal(strict.ok, false);
  assert.ok(
    !strict.ok && messages(strict.errors).some((m) => /personal script 'missing' does not exist/.test(m)),
  );

  const upload = await compileWithIncludes(src, { uploaded: true }, fetch);
  assert.ok(upload.ok);
  assert.deepEqual(messages(upload.warnings), [
    "included script 'a': included personal script 'missing' does not exist (ignored during upload)",
  ]);
  const optional = await compileWithIncludes('require "include"; include :optional "nope";', {}, fetch);
  assert.ok(optional.ok);
});

test('include preload: a circular include is an error unless an inactive script is uploaded', async () => {
  const { fetch } = store({
    'personal:a': 'require "include"; include "b";',
    'personal:b': 'require "include"; include "a";',
  });
  const src = 'require "include";\ninclude "a";\n';
  const strict = await compileWithIncludes(src, {}, fetch);
  assert.ok(!strict.ok && messages(strict.errors).some((m) => m.includes('circular include')));
  const active = await compileWithIncludes(src, { uploaded: true, activated: true }, fetch);
  assert.equal(active.ok, false);
  const upload = await compileWithIncludes(src, { uploaded: true }, fetch);
  assert.ok(upload.ok);
  assert.ok(messages(upload.warnings).some((m) => m.endsWith('circular include (ignored during upload)')));
});

test('include preload: the script being stored includes its new self (circular)', async () => {
  const { fetch, fetched } = store({ 'personal:main': 'keep;' });
  const src = 'require "include";\ninclude "main";\n';
  const r = await compileWithIncludes(src, { includeChain: ['personal:main'] }, fetch, {
    known: new Map([['personal:main', src]]),
  });
  assert.ok(!r.ok && messages(r.errors).includes('circular include'));
  assert.deepEqual(fetched, []);
});

test('include preload: an included script that does not compile fails the includer', async () => {
  const { fetch } = store({ 'global:g': 'if true {' });
  const r = await compileWithIncludes(
    'require "include";\ninclude :global "g";\n',
    { uploaded: true },
    fetch,
  );
  assert.ok(!r.ok && messages(r.errors).includes("failed to compile included script 'g'"));
});

test('include preload: stops at the nesting limit', async () => {
  const chain: Record<string, string> = {};
  for (let i = 0; i < 30; i++) chain[`personal:s${i}`] = `require "include"; include "s${i + 1}";`;
  const { fetch, fetched } = store(chain);
  const r = await compileWithIncludes('require "include"; include "s0";', {}, fetch);
  assert.ok(
    !r.ok && messages(r.errors).some((m) => m.includes('cannot nest includes deeper than 10 levels')),
  );
  assert.ok(fetched.length <= 12, `fetched ${fetched.length}`);
});
