// The IMAP service: a handler for the listener framework (src/server/listener.ts) per listener —
// "imap" (STARTTLS, LOGINDISABLED before TLS) and "imaps" (implicit TLS) share one change watcher.
import type { Core } from '../core/context.js';
import type { Connection } from '../server/listener.js';
import { DEFAULT_IMAP_OPTIONS, type ImapOptions } from './options.js';
import { ImapSession, imapService } from './session.js';
import { ChangeWatcher } from './watcher.js';
import { IdleSweeper, sweepTickMs } from './idle-sweeper.js';

export type { ImapOptions } from './options.js';

export interface ImapHandler {
  (conn: Connection): void;
  /** Stops the shared change-feed poller and idle sweeper (sessions are closed by the listener's shutdown). */
  close(): void;
}

export function createImapHandler(core: Core, opts: Partial<ImapOptions> = {}): ImapHandler {
  const options: ImapOptions = { ...DEFAULT_IMAP_OPTIONS, ...opts };
  const watcher = new ChangeWatcher(core, options.pollIntervalMs);
  const sweeper = new IdleSweeper(sweepTickMs(options.preAuthTimeoutSeconds, options.idleTimeoutSeconds));
  const service = imapService(core, options, watcher, sweeper);
  const handler = (conn: Connection) => {
    new ImapSession(service, conn).start();
  };
  return Object.assign(handler, {
    close: () => {
      watcher.close();
      sweeper.close();
    },
  });
}
