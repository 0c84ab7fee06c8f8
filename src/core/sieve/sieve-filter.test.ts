// Sieve at delivery, end to end on a real Core: scripts stored in the SieveStore, messages driven
// through deliverLocal, results read back from folders, the queue and the mail log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import type { Core } from '../context.js';
import * as admin from '../directory/admin.js';
import { resolveRecipient } from '../directory/resolve.js';
import { noSpamCheck, type DeliveryHooks } from '../delivery/hooks.js';
import { deliverLocal, type LocalResolution, type RecipientOutcome } from '../delivery/pipeline.js';
import { createSieveFilter, type SieveFilterOptions } from './sieve-filter.js';
import { putGlobalScript } from './script-sources.js';
import type { EnqueueInput } from '../queue/enqueue.js';

const DAY = 86400_000;

interface Harness {
  core: Core;
  clock: { now: number };
  sent: EnqueueInput[];
  forwarded: { to: string[]; via: string; reason: string }[];
  deliver(
    to: string,
    message: string,
    opts?: { from?: string; quarantine?: boolean },
  ): Promise<RecipientOutcome>;
  setScript(address: string, source: string, name?: string): Promise<void>;
  folder(address: string, name: string): Promise<{ raw: string; flags: string[] }[]>;
  log(address: string): Promise<{ event: string; detail: Record<string, unknown> }[]>;
}

async function addressId(core: Core, address: string): Promise<number> {
  const r = await resolveRecipient(core, address);
  assert.equal(r.kind, 'local');
  return (r as LocalResolution).addressId;
}

function harness(core: Core, clock: { now: number }, opts: SieveFilterOptions = {}): Harness {
  const sent: EnqueueInput[] = [];
  const forwarded: Harness['forwarded'] = [];
  const hooks: DeliveryHooks = {
    spam: noSpamCheck,
    filter: createSieveFilter({
      send: async (_c, input) => {
        sent.push(input);
      },
      ...opts,
    }),
    async forward(_c, req) {
      forwarded.push({ to: req.to, via: req.via, reason: req.reason });
    },
  };
  let n = 0;
  return {
    core,
    clock,
    sent,
    forwarded,
    async deliver(to, message, o = {}) {
      const r = await resolveRecipient(core, to);
      assert.equal(r.kind, 'local', `${to} should be local`);
      const raw = Buffer.from(message.replace(/\r?\n/g, '\r\n'));
      const [out] = await deliverLocal(
        core,
        hooks,
        {
          raw,
          envelopeFrom: o.from ?? 'sender@remote.test',
          messageId: `<m${++n}@test>`,
          trace: [],
          quarantine: o.quarantine ?? false,
          remoteIp: '192.0.2.1',
          logDetail: {},
        },
        [r as LocalResolution],
      );
      return out!;
    },
    async setScript(address, source, name = 'main') {
      const id = await addressId(core, address);
      await core.store.sieve.put(id, name, source);
      await core.store.sieve.setActive(id, name);
    },
    async folder(address, name) {
      const id = await addressId(core, address);
      const box = await core.store.mail.getMailbox(id, name);
      if (!box) return [];
      const out = [];
      for (const m of await core.store.mail.listMessages(box.id))
        out.push({ raw: (await core.store.blobs.get(m.blobHash)).toString('utf8'), flags: m.flags });
      return out;
    },
    async log(address) {
      const rows = await core.store.mailLog.query({ address });
      return rows.sort((a, b) => a.id - b.id).map((r) => ({ event: r.event, detail: r.detail }));
    },
  };
}

const msg = (headers: Record<string, string>, body = 'Hello\n'): string =>
  Object.entries({
    From: 'Sender <sender@remote.test>',
    To: 'user@a.test',
    Subject: 'Hi',
    'Message-ID': `<${Math.random().toString(36).slice(2)}@remote.test>`,
    ...headers,
  })
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\n`)
    .join('') +
  '\n' +
  body;

function rulesOf(log: { event: string; detail: Record<string, unknown> }[]): string[] {
  const last = log.filter((e) => e.event !== 'received').at(-1);
  return (last?.detail['rules'] as string[] | undefined) ?? [];
}

for (const kind of ENGINES) {
  test(`Sieve at delivery (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const clock = { now: Date.UTC(2025, 5, 2, 10, 0, 0) };
    const tc = await makeCore(kind, { now: () => clock.now });
    const { core } = tc;
    try {
      await admin.addDomain(core, 'a.test');
      await admin.linkDomain(core, 'a.test', 'b.test');
      await admin.addAddress(core, 'user@a.test', { password: 'x', displayName: 'Ursula User' });
      await admin.addAlias(core, 'sales@a.test', 'user@a.test');
      await admin.addAddress(core, 'catchall@a.test', { password: 'x' });
      const h = harness(core, clock);

      await t.test('no active script: implicit keep in INBOX, no rules in the log', async () => {
        const out = await h.deliver('user@a.test', msg({ Subject: 'plain' }));
        assert.equal(out.status, 'delivered');
        assert.deepEqual((out as { folders: string[] }).folders, ['INBOX']);
        assert.deepEqual(rulesOf(await h.log('user@a.test')), []);
      });

      await t.test('fileinto with imap4flags; the log names the rule and line', async () => {
        await h.setScript(
          'user@a.test',
          [
            'require ["fileinto", "imap4flags"];',
            '# Newsletters',
            'if header :contains "subject" "news" {',
            '  addflag "\\\\Seen";',
            '  fileinto "Archive";',
            '  stop;',
            '}',
          ].join('\n'),
        );
        const out = await h.deliver('user@a.test', msg({ Subject: 'Weekly news' }));
        assert.deepEqual((out as { folders: string[] }).folders, ['Archive']);
        const stored = await h.folder('user@a.test', 'Archive');
        assert.equal(stored.length, 1);
        assert.deepEqual(stored[0]!.flags, ['\\Seen']);
        const rules = rulesOf(await h.log('user@a.test'));
        assert.ok(
          rules.includes('script "main" line 5 (rule "Newsletters"): fileinto "Archive"'),
          JSON.stringify(rules),
        );
        // Not matching: implicit keep, said so.
        const other = await h.deliver('user@a.test', msg({ Subject: 'other' }));
        assert.deepEqual((other as { folders: string[] }).folders, ['INBOX']);
        assert.deepEqual(rulesOf(await h.log('user@a.test')), ['no rule matched: kept in INBOX']);
      });

      await t.test('fileinto a missing folder: INBOX and the log says so; :create makes it', async () => {
        await h.setScript(
          'user@a.test',
          [
            'require ["fileinto", "mailbox"];',
            'if header :is "subject" "a" { fileinto "Nowhere"; }',
            'elsif header :is "subject" "b" { fileinto :create "Projects/New"; }',
          ].join('\n'),
        );
        const a = await h.deliver('user@a.test', msg({ Subject: 'a' }));
        assert.deepEqual((a as { folders: string[] }).folders, ['INBOX']);
        assert.ok(
          rulesOf(await h.log('user@a.test')).includes('folder "Nowhere" does not exist: delivered to INBOX'),
        );
        const b = await h.deliver('user@a.test', msg({ Subject: 'b' }));
        assert.deepEqual((b as { folders: string[] }).folders, ['Projects/New']);
        assert.equal((await h.folder('user@a.test', 'Projects/New')).length, 1);
      });

      await t.test('mailboxexists and special-use answered from the store', async () => {
        await h.setScript(
          'user@a.test',
          [
            'require ["fileinto", "mailbox", "special-use"];',
            'if allof (mailboxexists "Archive", not mailboxexists "Nope", specialuse_exists "\\\\Junk") {',
            '  fileinto :specialuse "\\\\Archive" "Whatever";',
            '}',
          ].join('\n'),
        );
        const out = await h.deliver('user@a.test', msg({ Subject: 'x' }));
        assert.deepEqual((out as { folders: string[] }).folders, ['Archive']);
      });

      await t.test('discard stores nothing; reject refuses', async () => {
        await h.setScript(
          'user@a.test',
          [
            'require "reject";',
            'if header :is "subject" "spam" { discard; }',
            'elsif header :is "subject" "no" { reject "go away"; }',
          ].join('\n'),
        );
        const d = await h.deliver('user@a.test', msg({ Subject: 'spam' }));
        assert.deepEqual(d, { recipient: 'user@a.test', status: 'delivered', folders: [], forwarded: [] });
        const log = await h.log('user@a.test');
        assert.equal(log.at(-1)!.event, 'discarded');
        const r = await h.deliver('user@a.test', msg({ Subject: 'no' }));
        assert.deepEqual(r, { recipient: 'user@a.test', status: 'rejected', reason: 'go away' });
      });

      await t.test('editheader: the stored copy carries the edits', async () => {
        await h.setScript(
          'user@a.test',
          [
            'require ["editheader", "fileinto"];',
            'addheader "X-Sorted" "yes – très";',
            'deleteheader "X-Remove-Me";',
            'fileinto "Archive";',
          ].join('\n'),
        );
        await h.deliver(
          'user@a.test',
          msg({ Subject: 'edit me', 'X-Remove-Me': 'please', 'X-Keep': 'kept' }),
        );
        const stored = (await h.folder('user@a.test', 'Archive')).at(-1)!.raw;
        // Non-ASCII values are stored as RFC 2047 encoded words (as Pigeonhole does).
        assert.match(stored, /^X-Sorted: =\?UTF-8\?B\?eWVzIOKAkyB0csOocw==\?=\r\n/);
        assert.doesNotMatch(stored, /X-Remove-Me/);
        assert.match(stored, /\r\nX-Keep: kept\r\n/);
        assert.match(stored, /Subject: edit me\r\n/);
        assert.match(stored, /\r\n\r\nHello\r\n$/);
      });

      await t.test('redirect: forwarded through the hook; loops and repeats are cut', async () => {
        await h.setScript('user@a.test', 'redirect "friend@remote.test";');
        const out = await h.deliver('user@a.test', msg({ 'Message-ID': '<r1@remote.test>' }));
        assert.deepEqual(out, {
          recipient: 'user@a.test',
          status: 'delivered',
          folders: [],
          forwarded: ['friend@remote.test'],
        });
        assert.deepEqual(h.forwarded.at(-1), {
          to: ['friend@remote.test'],
          via: 'user@a.test',
          reason: 'sieve redirect',
        });
        // Same message again (a retry): not redirected twice, not kept either.
        const again = await h.deliver('user@a.test', msg({ 'Message-ID': '<r1@remote.test>' }));
        assert.deepEqual((again as { forwarded: string[] }).forwarded, []);
        assert.ok(rulesOf(await h.log('user@a.test')).some((l) => l.includes('already redirected')));
        // Already redirected by this address: keep instead of looping.
        const loop = await h.deliver(
          'user@a.test',
          msg({ 'Message-ID': '<r2@remote.test>', 'X-Sieve-Redirected-From': 'user@b.test' }),
        );
        assert.deepEqual((loop as { folders: string[]; forwarded: string[] }).folders, ['INBOX']);
        assert.deepEqual((loop as { forwarded: string[] }).forwarded, []);
        // To itself: refused.
        await h.setScript('user@a.test', 'redirect "sales@b.test";');
        const self = await h.deliver('user@a.test', msg({}));
        assert.deepEqual((self as { folders: string[] }).folders, ['INBOX']);
      });

      await t.test('redirect counts against the plan: over the forwarding limit it is refused', async () => {
        const targets = Array.from({ length: 100 }, (_, i) => `f${i}@remote.test`);
        await admin.setForwarding(core, 'user@a.test', targets, true);
        await h.setScript('user@a.test', 'redirect "friend2@remote.test";');
        const out = await h.deliver('user@a.test', msg({}));
        assert.ok((out as { folders: string[] }).folders.includes('INBOX'));
        assert.ok(rulesOf(await h.log('user@a.test')).some((l) => l.includes('refused: over the plan')));
        await admin.setForwarding(core, 'user@a.test', [], false);
      });

      await t.test(
        'vacation: one reply per sender per period, null sender, never to lists or catch-all',
        async () => {
          await h.setScript(
            'user@a.test',
            'require "vacation";\nvacation :days 3 :subject "Away" :from "sales@b.test" "I am away.";',
          );
          h.sent.length = 0;
          await h.deliver('user@a.test', msg({ 'Message-ID': '<orig@remote.test>' }));
          assert.equal(h.sent.length, 1);
          const reply = h.sent[0]!;
          assert.equal(reply.sender, '');
          assert.deepEqual(reply.recipients, ['sender@remote.test']);
          const text = Buffer.from(reply.raw).toString('utf8');
          assert.match(text, /^From: Ursula User <sales@b\.test>\r\n/m);
          assert.match(text, /^Subject: Away\r\n/m);
          assert.match(text, /^In-Reply-To: <orig@remote\.test>\r\n/m);
          assert.match(text, /^Auto-Submitted: auto-replied/m);
          assert.match(text, /\r\n\r\nI am away\.\r\n$/);
          // Same sender within 3 days: no second reply.
          clock.now += DAY;
          await h.deliver('user@a.test', msg({}));
          assert.equal(h.sent.length, 1);
          assert.ok(rulesOf(await h.log('user@a.test')).some((l) => l.includes('already replied')));
          // After the period: a new reply.
          clock.now += 3 * DAY;
          await h.deliver('user@a.test', msg({}));
          assert.equal(h.sent.length, 2);
          // Never to lists, bulk, auto-submitted, mailer-daemon or the null sender.
          await h.deliver('user@a.test', msg({ 'List-Id': '<l.remote.test>' }), {
            from: 'other1@remote.test',
          });
          await h.deliver('user@a.test', msg({ Precedence: 'bulk' }), { from: 'other2@remote.test' });
          await h.deliver('user@a.test', msg({ 'Auto-Submitted': 'auto-replied' }), {
            from: 'other3@remote.test',
          });
          await h.deliver('user@a.test', msg({}), { from: 'MAILER-DAEMON@remote.test' });
          await h.deliver('user@a.test', msg({}), { from: '' });
          assert.equal(h.sent.length, 2);
          // A foreign :from is not used: the reply comes from the address written in To.
          await h.setScript(
            'user@a.test',
            'require "vacation";\nvacation :from "boss@elsewhere.test" "Away.";',
          );
          await h.deliver('user@a.test', msg({ To: 'sales@a.test' }), { from: 'other4@remote.test' });
          assert.equal(h.sent.length, 3);
          assert.match(
            Buffer.from(h.sent[2]!.raw).toString('utf8'),
            /^From: Ursula User <sales@a\.test>\r\n/m,
          );
        },
      );

      await t.test(
        'vacation: no reply for mail that reached the address only through the catch-all',
        async () => {
          await h.setScript('catchall@a.test', 'require "vacation";\nvacation "Away.";');
          const before = h.sent.length;
          const out = await h.deliver('nobody@a.test', msg({ To: 'nobody@a.test, catchall@a.test' }));
          assert.equal(out.status, 'delivered');
          assert.equal(h.sent.length, before);
          assert.ok(rulesOf(await h.log('catchall@a.test')).some((l) => l.includes('catch-all')));
          // Addressed to it directly: replied.
          await h.deliver('catchall@a.test', msg({ To: 'catchall@a.test' }));
          assert.equal(h.sent.length, before + 1);
        },
      );

      await t.test('notify mailto: queued with the null sender', async () => {
        await h.setScript(
          'user@a.test',
          'require "enotify";\nnotify :message "New mail" "mailto:phone@remote.test?body=check%20mail";',
        );
        const before = h.sent.length;
        await h.deliver('user@a.test', msg({}));
        assert.equal(h.sent.length, before + 1);
        const n = h.sent.at(-1)!;
        assert.equal(n.sender, '');
        assert.deepEqual(n.recipients, ['phone@remote.test']);
        const text = Buffer.from(n.raw).toString('utf8');
        assert.match(text, /^Subject: New mail\r\n/m);
        assert.match(text, /^Auto-Submitted: auto-notified\r\n/m);
        assert.match(text, /\r\n\r\ncheck mail\r\n$/);
      });

      await t.test('duplicate: the second copy of a message is recognised', async () => {
        await h.setScript(
          'user@a.test',
          'require ["duplicate", "fileinto"];\nif duplicate { fileinto "Trash"; }',
        );
        const m = msg({ 'Message-ID': '<dup@remote.test>' });
        assert.deepEqual(((await h.deliver('user@a.test', m)) as { folders: string[] }).folders, ['INBOX']);
        assert.deepEqual(((await h.deliver('user@a.test', m)) as { folders: string[] }).folders, ['Trash']);
        clock.now += 8 * DAY;
        assert.deepEqual(((await h.deliver('user@a.test', m)) as { folders: string[] }).folders, ['INBOX']);
      });

      await t.test('a failed store leaves no duplicate or vacation memory behind', async () => {
        await h.setScript(
          'user@a.test',
          'require ["duplicate", "fileinto", "vacation"];\n' +
            'if duplicate { fileinto "Trash"; stop; }\nvacation :days 3 "Away";',
        );
        const m = msg({ 'Message-ID': '<retry@remote.test>', From: 'retry@remote.test' });
        const before = h.sent.length;
        // The store fails temporarily: nothing is remembered, nothing is sent. The body is written
        // inside the delivery's transaction (a small one goes into the database), so that is where
        // it fails.
        const store = core.store;
        const transaction = store.transaction.bind(store);
        let failed = 0;
        store.transaction = (fn, opts) =>
          transaction((tx) => {
            const blobs = new Proxy(tx.blobs, {
              get: (o, k) =>
                k === 'put'
                  ? () => {
                      failed++;
                      return Promise.reject(new Error('disk unavailable'));
                    }
                  : Reflect.get(o, k),
            });
            return fn({ ...tx, blobs });
          }, opts);
        let out: RecipientOutcome;
        try {
          out = await h.deliver('user@a.test', m, { from: 'retry@remote.test' });
        } finally {
          store.transaction = transaction;
        }
        assert.equal(failed, 1, 'the body was written inside the transaction');
        assert.equal(out.status, 'failed');
        assert.equal(h.sent.length, before);
        // The sender's retry is a first delivery: stored in INBOX, answered once.
        out = await h.deliver('user@a.test', m, { from: 'retry@remote.test' });
        assert.deepEqual((out as { folders: string[] }).folders, ['INBOX']);
        assert.equal(h.sent.length, before + 1);
        assert.deepEqual(h.sent.at(-1)!.recipients, ['retry@remote.test']);
        // Only now is it a duplicate.
        out = await h.deliver('user@a.test', m, { from: 'retry@remote.test' });
        assert.deepEqual((out as { folders: string[] }).folders, ['Trash']);
        assert.equal(h.sent.length, before + 1);
      });

      await t.test('include :personal and :global, global variables', async () => {
        const id = await addressId(core, 'user@a.test');
        await core.store.sieve.put(
          id,
          'lists',
          'require ["fileinto", "include", "variables"];\nglobal "box";\nif header :contains "list-id" "dev" { fileinto "${box}"; }',
        );
        await putGlobalScript(
          core,
          'spam',
          'require "fileinto";\nif header :is "x-spam" "yes" { fileinto "Junk"; stop; }',
        );
        await h.setScript(
          'user@a.test',
          [
            'require ["include", "variables"];',
            'global "box";',
            'set "box" "Archive";',
            'include :global "spam";',
            'include :personal "lists";',
            'include :optional "missing";',
          ].join('\n'),
        );
        assert.deepEqual(
          ((await h.deliver('user@a.test', msg({ 'X-Spam': 'yes' }))) as { folders: string[] }).folders,
          ['Junk'],
        );
        assert.deepEqual(
          ((await h.deliver('user@a.test', msg({ 'List-Id': '<dev.lists.test>' }))) as { folders: string[] })
            .folders,
          ['Archive'],
        );
        await putGlobalScript(core, 'spam', null);
      });

      await t.test('a runtime error keeps the message in INBOX and says why', async () => {
        await h.setScript(
          'user@a.test',
          'require ["reject", "fileinto"];\nfileinto "Archive";\nreject "no";',
        );
        const out = await h.deliver('user@a.test', msg({}));
        assert.deepEqual((out as { folders: string[] }).folders, ['INBOX']);
        const rules = rulesOf(await h.log('user@a.test'));
        assert.match(
          rules[0]!,
          /^Sieve error at line 3: reject\/ereject action conflicts .*: kept in INBOX$/,
        );
      });

      await t.test(
        'includes are checked at compile time: missing or circular, the script is skipped',
        async () => {
          // As Pigeonhole: the included scripts are read before compiling, so nothing of a script
          // with a broken include runs (here the fileinto before it would have).
          await h.setScript(
            'user@a.test',
            'require ["include", "fileinto"];\nfileinto "Archive";\ninclude :global "gone";',
          );
          let out = await h.deliver('user@a.test', msg({}));
          assert.deepEqual((out as { folders: string[] }).folders, ['INBOX']);
          assert.deepEqual(rulesOf(await h.log('user@a.test')).slice(0, 1), [
            `script "main" does not compile (line 3: included global script 'gone' does not exist): skipped`,
          ]);
          const id = await addressId(core, 'user@a.test');
          await core.store.sieve.put(id, 'loop-a', 'require "include";\ninclude "loop-b";');
          await core.store.sieve.put(id, 'loop-b', 'require "include";\ninclude "loop-a";');
          await h.setScript(
            'user@a.test',
            'require ["include", "fileinto"];\nfileinto "Archive";\ninclude "loop-a";',
          );
          out = await h.deliver('user@a.test', msg({}));
          assert.deepEqual((out as { folders: string[] }).folders, ['INBOX']);
          assert.match(
            rulesOf(await h.log('user@a.test'))[0]!,
            /^script "main" does not compile .*: skipped$/,
          );
          // Once the included script exists, the script runs.
          await core.store.sieve.put(id, 'loop-b', 'keep;');
          out = await h.deliver('user@a.test', msg({}));
          assert.deepEqual([...(out as { folders: string[] }).folders].sort(), ['Archive', 'INBOX']);
        },
      );

      await t.test('quarantined mail: the keep goes to Junk', async () => {
        await h.setScript('user@a.test', 'keep;');
        const out = await h.deliver('user@a.test', msg({}), { quarantine: true });
        assert.deepEqual((out as { folders: string[] }).folders, ['Junk']);
      });

      await t.test('currentdate and environment come from the Core', async () => {
        await h.setScript(
          'user@a.test',
          [
            'require ["date", "environment", "fileinto", "relational"];',
            `if allof (currentdate :is "year" "${new Date(clock.now).getUTCFullYear()}",`,
            '          environment :is "host" "mx.test", environment :is "location" "MDA") {',
            '  fileinto "Archive";',
            '}',
          ].join('\n'),
        );
        const out = await h.deliver('user@a.test', msg({}));
        assert.deepEqual((out as { folders: string[] }).folders, ['Archive']);
      });

      await t.test('envelope and subaddress tests see the RCPT TO', async () => {
        await h.setScript(
          'user@a.test',
          'require ["envelope", "subaddress", "fileinto"];\nif envelope :detail "to" "lists" { fileinto "Archive"; }',
        );
        const out = await h.deliver('user+lists@b.test', msg({}));
        assert.deepEqual((out as { folders: string[] }).folders, ['Archive']);
      });

      await t.test('templates run before the address script, and a move ends the sequence', async () => {
        const h2 = harness(core, clock, {
          templates: async (_c, account) =>
            account.address === 'user@a.test'
              ? [
                  { name: 'tag', source: 'require "imap4flags";\naddflag "$Template";' },
                  {
                    name: 'bills',
                    source: 'require "fileinto";\nif header :is "subject" "bill" { fileinto "Archive"; }',
                  },
                ]
              : [],
        });
        await h2.setScript('user@a.test', 'require "fileinto";\nfileinto "Trash";');
        const bill = await h2.deliver('user@a.test', msg({ Subject: 'bill' }));
        assert.deepEqual((bill as { folders: string[] }).folders, ['Archive']);
        const other = await h2.deliver('user@a.test', msg({ Subject: 'other' }));
        assert.deepEqual((other as { folders: string[] }).folders, ['Trash']);
        const trash = await h2.folder('user@a.test', 'Trash');
        assert.deepEqual(trash.at(-1)!.flags, []);
        const rules = rulesOf(await h2.log('user@a.test'));
        assert.ok(
          rules.some((l) => l.startsWith('script "main" line 2')),
          JSON.stringify(rules),
        );
      });

      await t.test('vacation replies go through the real queue', async () => {
        const h3 = harness(core, clock, { send: undefined });
        await h3.setScript('user@a.test', 'require "vacation";\nvacation :handle "q" "Queued away.";');
        await h3.deliver('user@a.test', msg({}), { from: 'queued@remote.test' });
        const rows = await core.store.queue.list({});
        const row = rows.find((r) => r.recipient === 'queued@remote.test');
        assert.ok(row, 'queued');
        assert.equal(row.sender, '');
        assert.equal(row.meta['auto'], 'vacation');
      });
    } finally {
      await tc.close();
    }
  });
}
