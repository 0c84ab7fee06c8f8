// `mailstead admin queue list|retry|delete`: the outbound queue from the shell. Works while the
// server runs (same store): a retried row is picked up at the worker's next poll.
import type { Core } from '../core/context.js';
import { MailError } from '../core/errors.js';
import type { QueueItem, QueueStatus } from '../store/ports.js';
import { parseArgs, UsageError } from './args.js';

export const QUEUE_USAGE = `usage: mailstead admin queue <command> ... --config FILE

  queue list [--status queued|delivered|failed] [--limit N]
  queue retry ID                    try a queued row again now
  queue delete ID                   drop a row (the message is not sent to that recipient)`;

const STATUSES: readonly QueueStatus[] = ['queued', 'delivered', 'failed'];

function parseId(s: string | undefined): number {
  if (s === undefined) throw new UsageError('missing ID');
  if (!/^\d+$/.test(s) || Number(s) <= 0 || !Number.isSafeInteger(Number(s)))
    throw new UsageError(`not a queue id: ${s}`);
  return Number(s);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function line(q: QueueItem): string {
  const cols = [
    String(q.id),
    q.status,
    `attempts=${q.attempts}`,
    q.status === 'queued' ? `next=${iso(q.nextAttemptAt)}` : `queued=${iso(q.createdAt)}`,
    `<${q.sender}>`,
    '->',
    `<${q.recipient}>`,
    `${q.size}B`,
  ];
  if (q.lastError) cols.push(`last="${q.lastError.replace(/[\r\n"]+/g, ' ')}"`);
  return cols.join('\t');
}

function onePositional(rest: string[]): string | undefined {
  const a = parseArgs(rest, []);
  if (a.positionals.length > 1) throw new UsageError(`unexpected argument: ${a.positionals[1]}`);
  return a.positionals[0];
}

export async function queueCommand(core: Core, argv: string[], out: (line: string) => void): Promise<void> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'list': {
      const a = parseArgs(rest, ['status', 'limit']);
      if (a.positionals.length > 0) throw new UsageError(`unexpected argument: ${a.positionals[0]}`);
      const status = a.options.get('status');
      if (status !== undefined && !STATUSES.includes(status as QueueStatus))
        throw new UsageError(`unknown status: ${status} (one of ${STATUSES.join(', ')})`);
      const limitText = a.options.get('limit');
      if (limitText !== undefined && !/^\d+$/.test(limitText))
        throw new UsageError(`not a number: ${limitText}`);
      const rows = await core.store.queue.list({
        ...(status !== undefined ? { status: status as QueueStatus } : {}),
        ...(limitText !== undefined ? { limit: Number(limitText) } : {}),
      });
      for (const q of rows) out(line(q));
      out(`${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`);
      return;
    }
    case 'retry': {
      const id = parseId(onePositional(rest));
      if (await core.store.queue.retryNow(id, core.now())) {
        out(`queue row ${id} will be retried now`);
        return;
      }
      const row = await core.store.queue.get(id);
      if (!row) throw new MailError('NOT_FOUND', `no queue row ${id}`);
      throw new MailError(
        'INVALID_ARGUMENT',
        `queue row ${id} is ${row.status}: only queued rows can be retried`,
      );
    }
    case 'delete': {
      const id = parseId(onePositional(rest));
      if (!(await core.store.queue.delete(id))) throw new MailError('NOT_FOUND', `no queue row ${id}`);
      out(`queue row ${id} deleted`);
      return;
    }
    default:
      throw new UsageError(verb === undefined ? 'missing queue command' : `unknown queue command: ${verb}`);
  }
}
