// `admin queue list|retry|delete` on both engines: output, errors for unknown ids and bad syntax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES, engineAvailable, makeCore } from '../../../test/kit/core.js';
import { isMailError } from '../errors.js';
import { UsageError } from '../../cli/args.js';
import { queueCommand } from '../../cli/queue-command.js';
import { enqueue } from './enqueue.js';

for (const kind of ENGINES) {
  test(`queue CLI (${kind})`, async (t) => {
    if (!(await engineAvailable(t, kind))) return;
    let clock = Date.UTC(2026, 0, 1);
    const tc = await makeCore(kind, { now: () => clock });
    const { core } = tc;
    try {
      const run = async (...argv: string[]): Promise<string[]> => {
        const lines: string[] = [];
        await queueCommand(core, argv, (l) => lines.push(l));
        return lines;
      };
      await enqueue(core, {
        sender: 'a@example.org',
        recipients: ['x@remote.test', 'y@remote.test'],
        raw: Buffer.from('Subject: hi\r\n\r\nbody\r\n'),
        notBefore: clock + 3_600_000,
      });
      const rows = await core.store.queue.list();
      const [x, y] = rows as [(typeof rows)[0], (typeof rows)[0]];

      const list = await run('list');
      assert.equal(list.length, 3);
      assert.match(
        list[0]!,
        new RegExp(
          `^${x.id}\\tqueued\\tattempts=0\\tnext=2026-01-01T01:00:00Z\\t<a@example.org>\\t->\\t<x@remote.test>`,
        ),
      );
      assert.equal(list[2], '2 rows');
      assert.deepEqual(await run('list', '--status', 'delivered'), ['0 rows']);
      assert.deepEqual(await run('list', '--status=queued', '--limit', '1'), [list[0], '1 row']);

      clock += 60_000;
      assert.deepEqual(await run('retry', String(x.id)), [`queue row ${x.id} will be retried now`]);
      assert.equal((await core.store.queue.get(x.id))!.nextAttemptAt, clock);

      assert.deepEqual(await run('delete', String(y.id)), [`queue row ${y.id} deleted`]);
      assert.equal(await core.store.queue.get(y.id), undefined);

      await assert.rejects(run('retry', String(y.id)), (e) => isMailError(e, 'NOT_FOUND'));
      await assert.rejects(run('delete', '999999'), (e) => isMailError(e, 'NOT_FOUND'));
      for (const bad of [
        [],
        ['list', '--status', 'lost'],
        ['retry'],
        ['retry', 'abc'],
        ['delete', '1', '2'],
        ['flush'],
        ['list', '--bogus'],
      ]) {
        await assert.rejects(run(...bad), UsageError, JSON.stringify(bad));
      }
    } finally {
      await tc.close();
    }
  });
}
