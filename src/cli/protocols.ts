// Which protocol sessions the server runs: each protocol package exports a handler factory; this is
// the one place that assembles them (so `serve` stays about lifecycle, not protocols).
import type { Core } from '../core/context.js';
import type { Config } from '../server/config.js';
import type { Connection } from '../server/listener.js';
import type { TlsMaterial } from '../server/tls.js';

export interface ProtocolSet {
  handlers: Partial<Record<keyof Config['listen'], (conn: Connection) => void>>;
  close(): Promise<void>;
}

export async function protocolHandlers(
  _core: Core,
  _config: Config,
  _tls: TlsMaterial,
): Promise<ProtocolSet> {
  return { handlers: {}, close: async () => undefined };
}
