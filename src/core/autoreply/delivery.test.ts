// The auto-reply at delivery, end to end on a real Core: auto-replies saved through the domain API,
// messages driven through the real pipeline (deliverLocal) with the real Sieve filter wired as the
// server wires it, replies read back from the real outbound queue (rows and queued blobs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import type { Core } from '../context.js';
import * as admin from '../directory/admin.js';
import { resolveRecipient } from '../directory/resolve.js';
import { noSpamCheck, type DeliveryHooks } from '../delivery/hooks.js';
import { deliverLocal, type LocalResolution, type RecipientOutcome } from '../delivery/pipeline.js';
import { createSieveFilter } from '../sieve/sieve-filter.js';
import { addTemplate as addRuleTemplate, serviceTemplateScripts } from '../rules/templates.js';
import { isMailError } from '../errors.js';
import {
  activateAutoReply,
  addAutoReplyTemplate,
  applyAutoReplyTemplate,
  autoReplyScripts,
  createAutoReply,
  deactivateAutoReply,
  listAutoReplies,
  resetAutoReplyCounts,
  setAutoReply,
  updateAutoReply,
} from './index.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** Monday 2 June 2025, 10:00 UTC. */
const MONDAY = Date.UTC(2025, 5, 2, 10, 0, 0);

interface Reply {
  id: number;
  sender: string;
  recipient: string;
  text: string;
}

const msg = (headers: Record<string, string>, body = 'Hello\n'): Buffer =>
  Buffer.from(
    (
      Object.entries({
        From: 'Sender <sender@remote.test>',
        To: 'user@a.test',
        Subject: 'Project news',
        'Message-ID': `<${Math.random().toString(36).slice(2)}@remote.test>`,
        ...headers,
      })
        .map(([k, v]) => `${k}: ${v}\n`)
        .join('') +
      '\n' +
      body
    ).replace(/\n/g, '\r\n'),
  );

function harness(core: Core) {
  // Wired as src/cli/protocols.ts wires the server.
  const hooks: DeliveryHooks = {
    spam: noSpamCheck,
    filter: createSieveFilter({
      templates: async (c, a) => [...(await autoReplyScripts(c, a)), ...(await serviceTemplateScripts(c, a))],
    }),
    async forward() {},
  };
  const seen = new Set<number>();
  let n = 0;
  return {
    async deliver(
      to: string,
      raw: Buffer,
      o: { from?: string } = {},
    ): Promise<Extract<RecipientOutcome, { status: 'delivered' }>> {
      const r = await resolveRecipient(core, to);
      assert.equal(r.kind, 'local', `${to} should be local`);
      const [out] = await deliverLocal(
        core,
        hooks,
        {
          raw,
          envelopeFrom: o.from ?? 'sender@remote.test',
          messageId: `<m${++n}@test>`,
          trace: [],
          quarantine: false,
          remoteIp: '192.0.2.1',
          logDetail: {},
        },
        [r as LocalResolution],
      );
      assert.equal(out?.status, 'delivered', JSON.stringify(out));
      return out as Extract<RecipientOutcome, { status: 'delivered' }>;
    },
    /** Auto-replies queued since the last call. */
    async newReplies(): Promise<Reply[]> {
      const out: Reply[] = [];
      for (const row of (await core.store.queue.list({})).sort((a, b) => a.id - b.id)) {
        if (seen.has(row.id) || row.meta['auto'] !== 'vacation') continue;
        seen.add(row.id);
        const text = (await core.store.blobs.get(row.blobHash)).toString('utf8');
        out.push({ id: row.id, sender: row.sender, recipient: row.recipient, text });
      }
      return out;
    },
  };
}

async function idOf(core: Core, address: string): Promise<number> {
  const r = await resolveRecipient(core, address);
  assert.equal(r.kind, 'local');
  return (r as LocalResolution).addressId;
}

async function rejects(p: Promise<unknown>, code: string, what: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isMailError(e), String(e));
    assert.equal(e.code, code);
    assert.match(e.message, what);
    return true;
  });
}

for (const kind of ENGINES) {
  test(`auto-reply at delivery (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    const clock = { now: MONDAY };
    const tc = await makeCore(kind, { now: () => clock.now });
    const { core } = tc;
    try {
      await admin.addDomain(core, 'a.test');
      await admin.linkDomain(core, 'a.test', 'b.test');
      await admin.addAddress(core, 'user@a.test', { password: 'x', displayName: 'Ursula User' });
      await admin.addAlias(core, 'sales@a.test', 'user@a.test');
      await admin.addAddress(core, 'other@a.test', { password: 'x' });
      await admin.addAddress(core, 'catchall@a.test', { password: 'x' });
      const user = await idOf(core, 'user@a.test');
      const h = harness(core);

      await t.test('a reply is queued with the chosen From, Subject and message', async () => {
        await setAutoReply(core, user, {
          message: 'I am away until Monday.\nFor "urgent" things: C:\\help.\n',
          subject: 'Out of office',
          replyFrom: 'Sales@B.test',
        });
        const out = await h.deliver('user@a.test', msg({ 'Message-ID': '<orig1@remote.test>' }));
        assert.deepEqual(out.folders, ['INBOX'], 'the original is still delivered');
        const [r, ...more] = await h.newReplies();
        assert.ok(r, 'a reply is queued');
        assert.equal(more.length, 0);
        assert.equal(r.sender, '', 'null envelope sender');
        assert.equal(r.recipient, 'sender@remote.test');
        assert.match(r.text, /^From: Ursula User <sales@b\.test>\r\n/m);
        assert.match(r.text, /^To: sender@remote\.test\r\n/m);
        assert.match(r.text, /^Subject: Out of office\r\n/m);
        assert.match(r.text, /^In-Reply-To: <orig1@remote\.test>\r\n/m);
        assert.match(r.text, /^Auto-Submitted: auto-replied/m);
        assert.ok(
          r.text.endsWith('\r\n\r\nI am away until Monday.\r\nFor "urgent" things: C:\\help.\r\n'),
          JSON.stringify(r.text.slice(-120)),
        );
        assert.doesNotMatch(r.text, /^-- \r$/m, 'no signature');
      });

      await t.test('one reply per sender per period; reset starts the count afresh', async () => {
        await h.deliver('user@a.test', msg({}));
        clock.now += 12 * HOUR;
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 0, 'same sender within the day');
        await h.deliver('user@a.test', msg({ From: 'second@remote.test' }), { from: 'second@remote.test' });
        assert.deepEqual(
          (await h.newReplies()).map((r) => r.recipient),
          ['second@remote.test'],
        );
        clock.now += 13 * HOUR;
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 1, 'the default period is one day');
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 0);
        await resetAutoReplyCounts(core, user);
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 1, 'replied again after the reset');
        // A longer period: the memory of each reply lasts the period in force when it was sent.
        await setAutoReply(core, user, { message: 'Away.', days: 3 });
        clock.now += 2 * DAY;
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 1, 'the one-day memory is over');
        clock.now += 2 * DAY;
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 0, 'still within 3 days');
        clock.now += 1 * DAY;
        await h.deliver('user@a.test', msg({}));
        assert.equal((await h.newReplies()).length, 1);
        await resetAutoReplyCounts(core, user);
      });

      await t.test('the default subject and From follow the original', async () => {
        await setAutoReply(core, user, { message: 'Away.' });
        await h.deliver('user@a.test', msg({ To: 'sales@a.test', Subject: 'Invoice 42' }), {
          from: 'third@remote.test',
        });
        const [r] = await h.newReplies();
        assert.ok(r);
        assert.match(r.text, /^Subject: Auto: Invoice 42\r\n/m);
        assert.match(r.text, /^From: Ursula User <sales@a\.test>\r\n/m);
      });

      await t.test('not before the start date nor after the end date', async () => {
        clock.now = MONDAY;
        await setAutoReply(core, user, {
          message: 'On holiday.',
          startsAt: MONDAY + DAY,
          endsAt: MONDAY + 3 * DAY,
        });
        await h.deliver('user@a.test', msg({}), { from: 'w1@remote.test' });
        assert.equal((await h.newReplies()).length, 0, 'before the window');
        clock.now = MONDAY + DAY;
        await h.deliver('user@a.test', msg({}), { from: 'w1@remote.test' });
        assert.equal((await h.newReplies()).length, 1, 'at the start');
        clock.now = MONDAY + 3 * DAY - 1000;
        await h.deliver('user@a.test', msg({}), { from: 'w2@remote.test' });
        assert.equal((await h.newReplies()).length, 1, 'just before the end');
        clock.now = MONDAY + 3 * DAY;
        await h.deliver('user@a.test', msg({}), { from: 'w3@remote.test' });
        assert.equal((await h.newReplies()).length, 0, 'at the end');
      });

      await t.test('only on the listed weekdays, counted in the chosen zone', async () => {
        clock.now = MONDAY;
        await setAutoReply(core, user, { message: 'Not on Tuesdays.', recurrentDays: ['tue', 'thu'] });
        await h.deliver('user@a.test', msg({}), { from: 'd1@remote.test' });
        assert.equal((await h.newReplies()).length, 0, 'Monday is not listed');
        clock.now = MONDAY + DAY;
        await h.deliver('user@a.test', msg({}), { from: 'd1@remote.test' });
        assert.equal((await h.newReplies()).length, 1, 'Tuesday is');
        // Monday 23:30 UTC is already Tuesday at +0100.
        clock.now = MONDAY + 13.5 * HOUR;
        await h.deliver('user@a.test', msg({}), { from: 'd2@remote.test' });
        assert.equal((await h.newReplies()).length, 0, 'Monday in UTC');
        await setAutoReply(core, user, {
          message: 'Not on Tuesdays.',
          recurrentDays: ['tue', 'thu'],
          zone: '+0100',
        });
        await h.deliver('user@a.test', msg({}), { from: 'd2@remote.test' });
        assert.equal((await h.newReplies()).length, 1, 'Tuesday at +0100');
      });

      await t.test('never to exempt senders (From or envelope)', async () => {
        clock.now = MONDAY + 10 * DAY;
        await setAutoReply(core, user, { message: 'Away.', dontReplyTo: ['Boss@Remote.test'] });
        await h.deliver('user@a.test', msg({ From: 'boss@remote.test' }), { from: 'boss@remote.test' });
        await h.deliver('user@a.test', msg({ From: 'The Boss <boss@remote.test>' }), {
          from: 'bounces-123@mailer.remote.test',
        });
        await h.deliver('user@a.test', msg({ From: 'x@remote.test' }), { from: 'boss@remote.test' });
        assert.equal((await h.newReplies()).length, 0);
        await h.deliver('user@a.test', msg({ From: 'colleague@remote.test' }), {
          from: 'colleague@remote.test',
        });
        assert.equal((await h.newReplies()).length, 1);
      });

      await t.test('never to Auto-Submitted, list, bulk, mailer-daemon or null-sender mail', async () => {
        await setAutoReply(core, user, { message: 'Away.' });
        await h.deliver('user@a.test', msg({ 'Auto-Submitted': 'auto-generated' }), {
          from: 'n1@remote.test',
        });
        await h.deliver('user@a.test', msg({ 'List-Id': '<news.remote.test>' }), { from: 'n2@remote.test' });
        await h.deliver('user@a.test', msg({ Precedence: 'bulk' }), { from: 'n3@remote.test' });
        await h.deliver('user@a.test', msg({}), { from: 'MAILER-DAEMON@remote.test' });
        await h.deliver('user@a.test', msg({}), { from: '' });
        assert.equal((await h.newReplies()).length, 0);
      });

      await t.test('not when the mail reached the address only through the catch-all', async () => {
        const catchall = await idOf(core, 'catchall@a.test');
        await setAutoReply(core, catchall, { message: 'Catch-all away.' });
        const out = await h.deliver('nobody@a.test', msg({ To: 'nobody@a.test' }), {
          from: 'c1@remote.test',
        });
        assert.deepEqual(out.folders, ['INBOX']);
        assert.equal((await h.newReplies()).length, 0);
        // Written to it by name, it is an address like any other.
        await h.deliver('catchall@a.test', msg({ To: 'catchall@a.test' }), { from: 'c2@remote.test' });
        assert.equal((await h.newReplies()).length, 1);
        await deactivateAutoReply(core, catchall);
      });

      await t.test('several saved, one active; off stops the replies', async () => {
        const holiday = await createAutoReply(core, user, { name: 'Holiday', message: 'On holiday.' });
        assert.equal(holiday.isActive, false, 'created inactive');
        await activateAutoReply(core, user, 'holiday');
        const all = await listAutoReplies(core, user);
        assert.deepEqual(
          all.filter((r) => r.isActive).map((r) => r.name),
          ['Holiday'],
          'activating one deactivates the others',
        );
        await h.deliver('user@a.test', msg({}), { from: 's1@remote.test' });
        const [r] = await h.newReplies();
        assert.match(r!.text, /\r\n\r\nOn holiday\.\r\n$/);
        await updateAutoReply(core, user, 'Auto-reply', { isActive: true });
        assert.deepEqual(
          (await listAutoReplies(core, user)).filter((x) => x.isActive).map((x) => x.name),
          ['Auto-reply'],
        );
        assert.equal(await deactivateAutoReply(core, user), true);
        await h.deliver('user@a.test', msg({}), { from: 's2@remote.test' });
        assert.equal((await h.newReplies()).length, 0);
        assert.deepEqual(await autoReplyScripts(core, { addressId: user }), []);
        assert.equal((await listAutoReplies(core, user)).length, 2, 'the saved ones are kept');
      });

      await t.test("the address's own rules still run after the auto-reply", async () => {
        await setAutoReply(core, user, { message: 'Away.' });
        await core.store.sieve.put(user, 'main', 'require "fileinto";\nfileinto "Trash";');
        await core.store.sieve.setActive(user, 'main');
        const out = await h.deliver('user@a.test', msg({}), { from: 'r1@remote.test' });
        assert.deepEqual(out.folders, ['Trash']);
        assert.equal((await h.newReplies()).length, 1);
        await core.store.sieve.setActive(user, null);
      });

      await t.test("a user's own vacation or reject next to the auto-reply", async () => {
        await setAutoReply(core, user, { message: 'Away.' });
        await core.store.sieve.put(
          user,
          'mine',
          'require ["vacation", "fileinto"];\nvacation "Mine.";\nfileinto "Trash";',
        );
        await core.store.sieve.setActive(user, 'mine');
        try {
          const out = await h.deliver('user@a.test', msg({}), { from: 'own@remote.test' });
          assert.deepEqual(out.folders, ['Trash'], "the user's script is not lost");
          assert.equal((await h.newReplies()).length, 1, 'one reply, the auto-reply');
        } finally {
          await core.store.sieve.setActive(user, null);
          await h.newReplies();
        }
      });

      await t.test('a service rule template that files the message does not silence it', async () => {
        const serviceId = (await core.store.directory.findDomain('a.test'))!.serviceId;
        await addRuleTemplate(core, serviceId, {
          name: 'Newsletters',
          conditions: [{ property: 'subject', operator: 'contains', value: 'weekly' }],
          actions: [{ type: 'move', value: 'Trash' }],
          appliedToAll: true,
        });
        const out = await h.deliver('user@a.test', msg({ Subject: 'Our weekly digest' }), {
          from: 'r2@remote.test',
        });
        assert.deepEqual(out.folders, ['Trash']);
        assert.equal((await h.newReplies()).length, 1);
      });

      await t.test('service templates: applied to every mailbox, again without duplicates', async () => {
        const serviceId = (await core.store.directory.findDomain('a.test'))!.serviceId;
        const tpl = await addAutoReplyTemplate(core, serviceId, {
          name: 'Closed',
          message: 'The office is closed this week.',
          subject: 'Office closed',
        });
        const res = await applyAutoReplyTemplate(core, serviceId, 'closed');
        assert.deepEqual(res.failed, []);
        assert.deepEqual(res.applied.sort(), ['catchall', 'other', 'user']);
        await applyAutoReplyTemplate(core, serviceId, tpl.id);
        const copies = (await listAutoReplies(core, user)).filter((r) => r.templateId === tpl.id);
        assert.equal(copies.length, 1);
        assert.equal(copies[0]!.isActive, true);
        await h.deliver('other@a.test', msg({ To: 'other@a.test' }), { from: 't1@remote.test' });
        const [r] = await h.newReplies();
        assert.match(r!.text, /^Subject: Office closed\r\n/m);
        assert.match(r!.text, /\r\n\r\nThe office is closed this week\.\r\n$/);
      });

      await t.test('validation: message length, one-line subject, own identities only', async () => {
        await createAutoReply(core, user, { name: 'Long', message: 'x'.repeat(65_536) });
        await rejects(
          createAutoReply(core, user, { name: 'Too long', message: 'x'.repeat(65_537) }),
          'INVALID_ARGUMENT',
          /65536/,
        );
        await rejects(setAutoReply(core, user, { message: '  ' }), 'INVALID_ARGUMENT', /needs a message/);
        await rejects(
          setAutoReply(core, user, { message: 'a', subject: 'Hi\r\nBcc: x@evil.test' }),
          'INVALID_ARGUMENT',
          /one line/,
        );
        await rejects(
          setAutoReply(core, user, { message: 'a', replyFrom: 'boss@elsewhere.test' }),
          'INVALID_ADDRESS',
          /own addresses/,
        );
        await rejects(
          setAutoReply(core, user, { message: 'a', replyFrom: 'other@a.test' }),
          'INVALID_ADDRESS',
          /own addresses/,
        );
        await rejects(setAutoReply(core, user, { message: 'a', days: 0 }), 'INVALID_ARGUMENT', /days/);
        await rejects(
          setAutoReply(core, user, { message: 'a', startsAt: MONDAY, endsAt: MONDAY }),
          'INVALID_ARGUMENT',
          /end date/,
        );
        await rejects(
          setAutoReply(core, user, { message: 'a', dontReplyTo: ['not an address'] }),
          'INVALID_ADDRESS',
          /valid address/,
        );
        await rejects(
          createAutoReply(core, user, { name: 'holiday', message: 'dup' }),
          'ALREADY_EXISTS',
          /Holiday|holiday/,
        );
        const ok = await setAutoReply(core, user, { message: 'a', replyFrom: 'sales@b.test' });
        assert.equal(ok.replyFrom, 'sales@b.test');
      });
    } finally {
      await tc.close();
    }
  });
}
