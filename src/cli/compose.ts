// The composition root's shared part: config -> store -> core. Only src/cli picks concrete engines.
import type { Logger } from 'pino';
import { openStore } from '../store/open.js';
import { createCoreEvents, type Core, type CoreEvents } from '../core/context.js';
import type { Config } from '../server/config.js';
import { SessionLimiter } from '../core/security/session-limits.js';
import { VerifiedLogins } from '../core/security/verified-logins.js';

/**
 * `server`: the long-running server (background WAL checkpoints), not a one-off admin command.
 * `events`: a worker of a cluster relays change notices to the other workers.
 */
export async function openCore(
  config: Config,
  log: Logger,
  opts: { server?: boolean; events?: CoreEvents } = {},
): Promise<Core> {
  const store = await openStore({
    kind: config.store.kind,
    dataDir: config.data_dir,
    ...(config.store.url ? { url: config.store.url } : {}),
    ...(config.store.schema ? { schema: config.store.schema } : {}),
    inlineBlobMax: config.store.inline_blob_max,
    backgroundCheckpoints: opts.server === true,
  });
  return {
    store,
    log,
    hostname: config.hostname,
    now: () => Date.now(),
    events: opts.events ?? createCoreEvents(),
    sessions: new SessionLimiter(config.limits.connections_per_user),
    ...(config.auth.verified_login_cache > 0
      ? { verifiedLogins: new VerifiedLogins(config.auth.verified_login_cache * 1000) }
      : {}),
  };
}
