// What a command handler sees of its session: the connection, the domain, the state, and output.
import type { Core } from '../core/context.js';
import type { Account } from '../core/directory/accounts.js';
import type { Connection } from '../server/listener.js';
import type { MsArg } from './proto/tokens.js';
import type { ManageSieveOptions } from './options.js';

export type SessionState =
  | { kind: 'nonAuthenticated'; authFailures: number }
  | { kind: 'authenticated'; account: Account }
  | { kind: 'logout' };

export interface CommandResult {
  status: 'OK' | 'NO' | 'BYE';
  /** Response code without parentheses (RFC 5804 §1.3). */
  code?: string;
  text?: string;
  /** Runs after the response is flushed (STARTTLS handshake, closing after LOGOUT). */
  after?: () => Promise<void>;
}

export interface SessionApi {
  readonly core: Core;
  readonly conn: Connection;
  readonly opts: ManageSieveOptions;
  state: SessionState;
  /** Writes one line (CRLF added). */
  send(line: string): void;
  /** Writes raw text or bytes as they are (literals). */
  write(data: string | Buffer): void;
  flushOutput(): Promise<void>;
  /** Reads the client's next SASL response line; null when the connection closed. */
  readContinuation(): Promise<readonly MsArg[] | null>;
  /** Sends the capability lines (no OK). */
  sendCapabilities(): void;
  upgradeTls(): Promise<void>;
  close(): void;
}

export interface CommandContext {
  readonly session: SessionApi;
  readonly name: string;
  readonly args: readonly MsArg[];
}

export type CommandHandler = (ctx: CommandContext) => Promise<CommandResult>;
