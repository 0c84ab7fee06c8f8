// What the server cleans up by itself, shortly after start and then every hour: without it the mail
// log, the finished queue rows, the change feed and the blob directory only ever grow. Each step runs
// on its own; one failing (logged) does not keep the others from running.
import type { Core } from '../context.js';
import { purgeMailLog } from '../maillog/mail-log.js';
import { BlobCollector, type BlobGcResult } from './blob-gc.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface MaintenanceOptions {
  mailLogRetentionDays: number;
  /** Delivered and failed queue rows are kept this long (admin "why did it bounce?"). */
  finishedQueueRetentionMs?: number;
  /**
   * Change feed rows (cross-process IDLE/NOTIFY catch-up; sessions read the feed within seconds)
   * and QRESYNC tombstones are kept this long (default 7 days). A QRESYNC client away for longer
   * is answered with every absent UID in VANISHED instead of the exact list.
   */
  changeFeedRetentionMs?: number;
  /** Temporary files of blob writes that never finished are removed once this old. */
  staleTemporaryMs?: number;
  /** See BlobGcOptions. */
  blobGraceMs?: number;
  blobSettleMs?: number;
}

export interface MaintenanceReport {
  mailLogPurged?: number;
  kvPurged?: number;
  queuePurged?: number;
  tombstonesPruned?: number;
  changesPruned?: number;
  temporariesRemoved?: number;
  blobs?: BlobGcResult;
  failed: string[];
}

/** An optional capability of file blob stores (FsBlobStore): not part of the BlobStore port. */
interface SweepsTemporaries {
  removeStaleTemporaries(olderThanMs: number, now?: number): Promise<number>;
}

function sweepsTemporaries(x: unknown): x is SweepsTemporaries {
  return typeof (x as Partial<SweepsTemporaries>).removeStaleTemporaries === 'function';
}

export class Maintenance {
  readonly #collector: BlobCollector;
  #running: Promise<MaintenanceReport> | undefined;

  constructor(
    private readonly core: Core,
    private readonly opts: MaintenanceOptions,
  ) {
    this.#collector = new BlobCollector(core.store.blobs, core.store, {
      graceMs: opts.blobGraceMs ?? HOUR,
      settleMs: opts.blobSettleMs ?? 60_000,
      now: () => core.now(),
    });
  }

  /** One round of every step; a round still running is joined, not doubled. */
  run(): Promise<MaintenanceReport> {
    this.#running ??= this.#round().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #round(): Promise<MaintenanceReport> {
    const { core, opts } = this;
    const now = core.now();
    const report: MaintenanceReport = { failed: [] };
    const step = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        report.failed.push(name);
        core.log.error({ err, step: name }, 'maintenance step failed');
      }
    };
    await step('mail log', async () => {
      report.mailLogPurged = await purgeMailLog(core, opts.mailLogRetentionDays);
    });
    await step('kv', async () => {
      report.kvPurged = await core.store.kv.purgeExpired(now);
    });
    await step('queue', async () => {
      report.queuePurged = await core.store.queue.purgeFinished(
        now - (opts.finishedQueueRetentionMs ?? 7 * DAY),
      );
    });
    // Tombstones first: their age is read from the feed's expunge rows, pruned next with the same cutoff.
    const feedCutoff = now - (opts.changeFeedRetentionMs ?? 7 * DAY);
    await step('tombstones', async () => {
      report.tombstonesPruned = await core.store.mail.pruneTombstones(feedCutoff);
    });
    await step('change feed', async () => {
      report.changesPruned = await core.store.mail.pruneChanges(feedCutoff);
    });
    const blobs = core.store.blobs;
    if (sweepsTemporaries(blobs)) {
      await step('blob temporaries', async () => {
        report.temporariesRemoved = await blobs.removeStaleTemporaries(opts.staleTemporaryMs ?? HOUR, now);
      });
    }
    // After the queue purge: bodies only finished rows referred to are collected in this round's
    // scan (and deleted once the grace period has passed).
    await step('blobs', async () => {
      report.blobs = await this.#collector.run();
    });
    const b = report.blobs;
    core.log.info(
      {
        ...report,
        blobs: b && { scanned: b.scanned, deleted: b.deleted, bytes: b.deletedBytes, restored: b.restored },
      },
      'maintenance done',
    );
    return report;
  }
}
