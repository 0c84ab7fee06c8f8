// The outbound queue worker: leases due rows, delivers them (ours through the local pipeline,
// the rest through the Transport, grouped per envelope and domain so one SMTP transaction carries
// all recipients of a domain), and records the outcome of every row. Leases carry an owner, so
// several workers (in one process or several sharing PostgreSQL) never send the same row at once;
// a crashed worker's rows come back when its lease expires.
import { hostname as osHostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import type { QueueItem } from '../../store/ports.js';
import { isMailError } from '../errors.js';
import { logMail } from '../maillog/mail-log.js';
import { resolveRecipient } from '../directory/resolve.js';
import { backoffMs } from './backoff.js';
import { notifySender, statusOf, type DsnRecipient } from './bounce.js';
import { logAddressOf } from './enqueue.js';
import { readMeta } from './meta.js';
import type { SrsOptions } from './srs.js';
import type { DeliverLocal, RecipientResult, Transport } from './transport.js';

export interface QueueWorkerOptions {
  transport: Transport;
  /** Local recipients never reach the transport: the delivery pipeline takes them. */
  deliverLocal: DeliverLocal;
  /** How long a deferred recipient is retried before it bounces (default 5 days). */
  lifetimeMs?: number;
  /** After this long in the queue the sender gets one delay notice (default 4 hours). */
  delayNoticeMs?: number;
  /** Lease owner name; unique per worker (default host:pid:random). */
  owner?: string;
  /** How often the queue is polled when nothing kicks it (default 10 s). */
  pollMs?: number;
  /** How long a lease protects a row; longer than any delivery attempt (default 15 min). */
  leaseMs?: number;
  /** Rows leased per round (default 100). */
  batchSize?: number;
  /** Envelope/domain groups delivered at the same time (default 4). */
  concurrency?: number;
  /** Our SRS settings: bounces for forwarded mail go to the original sender. */
  srs?: SrsOptions;
}

export interface QueueWorker {
  /** Stops polling and waits for the round in progress to finish. */
  stop(): Promise<void>;
  /** Runs a round soon (after an enqueue), instead of at the next poll. */
  kick(): void;
  /** Runs rounds until nothing is due; returns the rows handled (tests, the CLI "flush"). */
  runOnce(): Promise<number>;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

interface Outcome {
  row: QueueItem;
  result: RecipientResult;
}

/** Our verdict for recipients the directory answers for without any delivery attempt. */
function refusal(code: number, text: string, recipient: string): RecipientResult {
  return { recipient, status: 'perm', code, text };
}

async function deliverLocally(
  deliverLocal: DeliverLocal,
  sender: string,
  recipient: string,
  raw: Buffer,
): Promise<RecipientResult> {
  try {
    await deliverLocal(sender, recipient, raw);
    return { recipient, status: 'sent', code: 250, text: '250 2.0.0 delivered locally' };
  } catch (e) {
    if (isMailError(e) && !e.temporary) {
      return { recipient, status: 'perm', code: 550, text: `550 5.0.0 ${e.message}` };
    }
    if (isMailError(e, 'OVER_QUOTA')) {
      return { recipient, status: 'temp', code: 452, text: `452 4.2.2 ${e.message}` };
    }
    return { recipient, status: 'temp', code: 451, text: `451 4.3.0 ${(e as Error).message}` };
  }
}

export function startQueueWorker(core: Core, opts: QueueWorkerOptions): QueueWorker {
  const owner = opts.owner ?? `${osHostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const lifetimeMs = opts.lifetimeMs ?? 5 * DAY;
  const delayNoticeMs = opts.delayNoticeMs ?? 4 * HOUR;
  const pollMs = opts.pollMs ?? 10_000;
  const leaseMs = opts.leaseMs ?? 15 * 60_000;
  const batchSize = opts.batchSize ?? 100;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const log = core.log.child({ component: 'queue', owner });

  async function attempt(rows: QueueItem[]): Promise<Outcome[]> {
    const first = rows[0]!;
    let raw: Buffer;
    try {
      raw = await core.store.blobs.get(first.blobHash);
    } catch (err) {
      // the row promises bytes we no longer have: nothing to retry with
      log.error(
        { err, envelopeId: first.envelopeId, blob: first.blobHash },
        'queued message content missing',
      );
      return rows.map((row) => ({
        row,
        result: refusal(554, '554 5.3.0 message content lost', row.recipient),
      }));
    }
    const outcomes: Outcome[] = [];
    const remote: QueueItem[] = [];
    for (const row of rows) {
      const r = await resolveRecipient(core, row.recipient);
      switch (r.kind) {
        case 'remote':
          remote.push(row);
          break;
        case 'local':
          outcomes.push({
            row,
            result: await deliverLocally(opts.deliverLocal, row.sender, row.recipient, raw),
          });
          break;
        case 'unknown':
          outcomes.push({ row, result: refusal(550, '550 5.1.1 no such user here', row.recipient) });
          break;
        case 'disabled':
          outcomes.push({ row, result: refusal(550, '550 5.2.1 mailbox disabled', row.recipient) });
          break;
        case 'invalid':
          outcomes.push({ row, result: refusal(553, '553 5.1.3 invalid recipient address', row.recipient) });
          break;
      }
    }
    if (remote.length > 0) {
      let results: RecipientResult[];
      try {
        results = await opts.transport.deliver(
          first.domain,
          first.sender,
          remote.map((r) => r.recipient),
          raw,
        );
      } catch (err) {
        log.error({ err, domain: first.domain }, 'transport failed');
        results = [];
      }
      remote.forEach((row, i) => {
        const result = results[i] ?? {
          recipient: row.recipient,
          status: 'temp' as const,
          code: 0,
          text: 'delivery attempt failed',
        };
        outcomes.push({ row, result });
      });
    }
    return outcomes;
  }

  async function settle(outcomes: Outcome[]): Promise<void> {
    const now = core.now();
    const bounces: DsnRecipient[] = [];
    const delays: DsnRecipient[] = [];
    const successes: DsnRecipient[] = [];
    const patches = new Map<number, Parameters<Core['store']['queue']['finish']>[2]>();
    const logs: Parameters<typeof logMail>[1] = [];

    for (const { row, result } of outcomes) {
      const meta = readMeta(row.meta);
      const queuedAt = meta.queuedAt ?? row.createdAt;
      const attempts = row.attempts + 1;
      const entry = {
        address: logAddressOf(row),
        direction: 'out' as const,
        messageId: meta.messageId ?? row.envelopeId,
      };
      const detail = {
        recipient: row.recipient,
        queueId: row.id,
        code: result.code,
        reply: result.text,
        ...(result.remoteMta ? { remoteMta: result.remoteMta } : {}),
      };
      const dsnBase = {
        recipient: row.recipient,
        ...(result.code > 0 ? { reply: result.text } : {}),
        ...(result.remoteMta ? { remoteMta: result.remoteMta } : {}),
        lastAttemptAt: now,
      };
      if (result.status === 'sent') {
        patches.set(row.id, { status: 'delivered', attempts, lastError: null });
        logs.push({ ...entry, event: 'sent', detail });
        // We do not pass DSN parameters on, so a remote delivery is reported as "relayed".
        if (meta.dsn?.notify?.includes('SUCCESS')) {
          successes.push({ ...dsnBase, action: result.remoteMta ? 'relayed' : 'delivered', status: '2.0.0' });
        }
        continue;
      }
      const expired = result.status === 'temp' && now >= queuedAt + lifetimeMs;
      if (result.status === 'perm' || expired) {
        patches.set(row.id, { status: 'failed', attempts, lastError: result.text });
        logs.push({
          ...entry,
          event: 'bounced',
          detail: { ...detail, reason: expired ? 'expired' : 'permanent' },
        });
        bounces.push({
          ...dsnBase,
          action: 'failed',
          // RFC 3463: X.4.7 delivery time expired
          status: expired ? '4.4.7' : statusOf(result.code, result.text, '5.0.0'),
          ...(expired && result.code === 0 ? { reply: `delivery time expired: ${result.text}` } : {}),
        });
        continue;
      }
      const next = now + backoffMs(attempts);
      const patch: Parameters<Core['store']['queue']['finish']>[2] = {
        attempts,
        nextAttemptAt: Math.min(next, Math.max(queuedAt + lifetimeMs, now + 60_000)),
        lastError: result.text,
      };
      if (!row.delayNotified && now - queuedAt >= delayNoticeMs) {
        patch.delayNotified = true;
        delays.push({
          ...dsnBase,
          action: 'delayed',
          // a delayed action carries a transient class whatever the last reply said
          status: statusOf(result.code, result.text, '4.4.1').replace(/^5/, '4'),
          willRetryUntil: queuedAt + lifetimeMs,
        });
      }
      patches.set(row.id, patch);
      logs.push({
        ...entry,
        event: 'deferred',
        detail: { ...detail, attempts, nextAttemptAt: patch.nextAttemptAt },
      });
    }

    // Notices are queued before the rows are finished: a crash in between repeats a notice,
    // it never loses one.
    const rows = outcomes.map((o) => o.row);
    const noticeOpts = { lifetimeMs, ...(opts.srs ? { srs: opts.srs } : {}) };
    let queuedNotice = false;
    for (const list of [bounces, delays, successes]) {
      if (list.length === 0) continue;
      try {
        const id = await notifySender(core, rows, list, noticeOpts);
        if (id) queuedNotice = true;
      } catch (err) {
        log.error({ err, envelopeId: rows[0]?.envelopeId }, 'could not queue a delivery status notification');
      }
    }
    for (const [id, patch] of patches) {
      if (!(await core.store.queue.finish(id, owner, patch)))
        log.warn({ id }, 'queue lease lost before the row was finished');
    }
    await logMail(core, logs);
    if (queuedNotice) kick();
  }

  async function round(): Promise<number> {
    const rows = await core.store.queue.lease(owner, core.now(), leaseMs, batchSize);
    if (rows.length === 0) return 0;
    const groups = new Map<string, QueueItem[]>();
    for (const row of rows) {
      const key = `${row.envelopeId}\n${row.domain}`;
      const g = groups.get(key);
      if (g) g.push(row);
      else groups.set(key, [row]);
    }
    const queue = [...groups.values()];
    const runners = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let g = queue.shift(); g; g = queue.shift()) {
        try {
          await settle(await attempt(g));
        } catch (err) {
          // leases expire, so the rows come back; nothing to do but say so
          log.error({ err, envelopeId: g[0]?.envelopeId }, 'queue group failed');
        }
      }
    });
    await Promise.all(runners);
    return rows.length;
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      again = false;
      const n = await round();
      total += n;
      if (stopped || (n < batchSize && !again)) return total;
    }
  }

  function run(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    if (timer) clearTimeout(timer);
    timer = undefined;
    running = drain()
      .catch((err: unknown) => {
        log.error({ err }, 'queue round failed');
        return 0;
      })
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(() => void run(), again ? 0 : pollMs);
          timer.unref();
        }
      });
    return running;
  }

  function kick(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void run(), 0);
    timer.unref();
  }

  timer = setTimeout(() => void run(), 0);
  timer.unref();

  return {
    kick,
    async runOnce() {
      let total = 0;
      if (running) total += await running;
      total += await run();
      return total;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (running) await running;
    },
  };
}
