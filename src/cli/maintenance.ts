// The server's housekeeping, run by one process of an installation (the only one, or a cluster's
// primary).
import type { Logger } from 'pino';
import type { Config } from '../server/config.js';
import { purgeMailLog } from '../core/maillog/mail-log.js';
import type { Core } from '../core/context.js';

/** Hourly housekeeping; one process of an installation runs it. */
export function startMaintenance(core: Core, config: Config, log: Logger): NodeJS.Timeout {
  const maintenance = setInterval(() => {
    purgeMailLog(core, config.log.mail_log_retention_days).catch((err: unknown) =>
      log.error({ err }, 'mail log purge failed'),
    );
    core.store.kv.purgeExpired(Date.now()).catch((err: unknown) => log.error({ err }, 'kv purge failed'));
  }, 3600_000);
  maintenance.unref();
  return maintenance;
}
