// The ManageSieve service (RFC 5804, `listen.managesieve`, STARTTLS): a handler for the listener
// framework (src/server/listener.ts). Scripts are the address's Sieve scripts as src/core/rules keeps
// them: compile-checked, bounded, locked when the administrator took the right away, and raw scripts
// only on plans with advanced mode.
import type { Core } from '../core/context.js';
import type { Connection } from '../server/listener.js';
import { DEFAULT_MANAGESIEVE_OPTIONS, type ManageSieveOptions } from './options.js';
import { ManageSieveSession } from './session.js';

export type { ManageSieveOptions } from './options.js';

export function createManageSieveHandler(
  core: Core,
  opts: Partial<ManageSieveOptions> = {},
): (conn: Connection) => void {
  const options: ManageSieveOptions = { ...DEFAULT_MANAGESIEVE_OPTIONS, ...opts };
  return (conn: Connection) => {
    new ManageSieveSession(core, conn, options).start();
  };
}
