// What a command handler may use of its session. Handlers depend on this interface only, so the
// session, the command table and the command files import each other in one direction.
import type { Core } from '../core/context.js';
import type { Connection } from '../server/listener.js';
import type { Token } from './proto/tokens.js';
import type { SessionState } from './state.js';
import type { SelectedMailbox, SyncOutput } from './selected.js';
import type { ImapOptions } from './options.js';
import type { Notifier } from './notify.js';

export type Status = 'OK' | 'NO' | 'BAD';

export interface CommandResult {
  status: Status;
  /** Response code without brackets, e.g. "READ-WRITE" or "COPYUID 12 1:3 5:7". */
  code?: string;
  text: string;
  /** Runs after the tagged response has been written and flushed (STARTTLS, LOGOUT). */
  after?: () => Promise<void>;
}

export interface CommandContext {
  readonly session: SessionApi;
  readonly tag: string;
  /** Upper-cased command name without "UID". */
  readonly name: string;
  /** The command came as "UID <name>". */
  readonly uid: boolean;
  readonly args: Token[];
}

export type Handler = (ctx: CommandContext) => Promise<CommandResult>;

export interface SessionApi {
  readonly core: Core;
  readonly conn: Connection;
  readonly opts: ImapOptions;
  state: SessionState;
  /** Extensions turned on with ENABLE (RFC 5161), upper-case; CONDSTORE also by use (RFC 7162 §3.1). */
  readonly enabled: Set<string>;
  /** Mailbox names and strings are UTF-8 (UTF8=ACCEPT or IMAP4rev2 enabled). */
  readonly utf8: boolean;
  /** IMAP4rev2 was enabled (RFC 9051 §6.3.1). */
  readonly rev2: boolean;
  readonly out: SyncOutput;
  /** Writes one response line (CRLF added). */
  send(line: string): void;
  /** Writes raw response data (literal contents). */
  write(data: string | Buffer): void;
  /** Sends buffered output and waits until the socket takes more. */
  flushOutput(): Promise<void>;
  /** Reads the next line as text, not as a command (AUTHENTICATE responses, IDLE's DONE); null at close. */
  readLine(): Promise<string | null>;
  capabilities(): string[];
  /** A mailbox name as the client must see it (modified UTF-7 unless UTF-8 is on). */
  mailboxName(name: string): string;
  /** Folds pending mailbox changes into the selected mailbox and sends them. */
  syncSelected(allowExpunge: boolean): Promise<void>;
  /** Calls `fn` when mail of this account may have changed (in-process events and the store's feed). */
  watchChanges(fn: () => void): () => void;
  selected(): SelectedMailbox;
  /** NOTIFY's state (RFC 5465). */
  readonly notifier: Notifier;
  upgradeTls(): Promise<void>;
  /**
   * COMPRESS=DEFLATE (RFC 4978): inflates input from now on and returns the switch that deflates output
   * (called once the tagged OK is out); null when compression is already on.
   */
  startCompression(): (() => void) | null;
  close(): void;
}
