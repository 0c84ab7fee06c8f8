// What a command handler may use of its session: the pieces it needs, nothing of the socket plumbing.
import type { Core } from '../core/context.js';
import type { Connection } from '../server/listener.js';
import type { LineResult } from './proto/line-reader.js';
import type { Pop3Options } from './options.js';
import type { Pop3State } from './state.js';

export interface CommandResult {
  /** The full response: a status line, or a status line and a multi-line body. */
  out: string | Buffer | ReadonlyArray<string | Buffer>;
  /** starttls: the response goes out in the clear, then TLS starts; close: the session ends. */
  after?: 'starttls' | 'close';
}

export interface Pop3SessionApi {
  readonly core: Core;
  readonly conn: Connection;
  readonly opts: Pop3Options;
  /** Owner value of the maildrop lock: unique to this session across processes. */
  readonly id: string;
  state: Pop3State;
  /** Sends something now (SASL continuations). */
  write(data: string | Buffer): Promise<void>;
  /** The next client line outside the command loop (SASL responses); null when the peer is gone. */
  readLine(maxLength: number): Promise<LineResult | null>;
  /** Called once the maildrop lock is held: keeps it alive for as long as the session lasts. */
  holdLock(addressId: number): void;
}

export type Pop3Handler = (session: Pop3SessionApi, args: string[]) => Promise<CommandResult>;
