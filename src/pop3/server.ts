// The POP3 service: one handler for the listener framework (src/server/listener.ts) serving both
// listeners — "pop3" (STLS; no login before TLS) and "pop3s" (implicit TLS, RFC 8314).
import type { Core } from '../core/context.js';
import type { Connection } from '../server/listener.js';
import { DEFAULT_POP3_OPTIONS, type Pop3Options } from './options.js';
import { Pop3Session } from './session.js';

export type { Pop3Options } from './options.js';

export function createPop3Handler(core: Core, opts: Partial<Pop3Options> = {}): (conn: Connection) => void {
  const options: Pop3Options = { ...DEFAULT_POP3_OPTIONS, ...opts };
  return (conn: Connection) => {
    new Pop3Session(core, conn, options).start();
  };
}
