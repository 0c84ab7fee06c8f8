// The server's housekeeping, run by one process of an installation (the only one, or a cluster's
// primary): src/core/housekeeping (mail log, kv, finished queue rows, QRESYNC tombstones and the
// change feed, stale blob temporaries, unreferenced blobs), a minute after start (what the previous
// run left) and then hourly.
import type { Logger } from 'pino';
import type { Config } from '../server/config.js';
import type { Core } from '../core/context.js';
import { Maintenance } from '../core/housekeeping/maintenance.js';

const FIRST_AFTER_MS = 60_000;
const EVERY_MS = 3600_000;

/** Starts the housekeeping; clearInterval() on the returned timer stops it. */
export function startMaintenance(core: Core, config: Config, log: Logger): NodeJS.Timeout {
  const housekeeping = new Maintenance(core, { mailLogRetentionDays: config.log.mail_log_retention_days });
  // One timer for both the first round and the hourly ones, so the caller's clearInterval stops all.
  let due = Date.now() + FIRST_AFTER_MS;
  const maintenance = setInterval(() => {
    if (Date.now() < due) return;
    due = Date.now() + EVERY_MS;
    housekeeping.run().catch((err: unknown) => log.error({ err }, 'maintenance failed'));
  }, FIRST_AFTER_MS);
  maintenance.unref();
  return maintenance;
}
