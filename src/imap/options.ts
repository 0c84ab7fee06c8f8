// Limits and switches of the IMAP service (the composition root fills them from the configuration).

export interface ImapOptions {
  /** Non-literal bytes of one command. */
  maxLineLength: number;
  /** Largest message APPEND takes (advertised as APPENDLIMIT, RFC 7889). */
  maxMessageSize: number;
  /** Seconds without a command before the session is closed (RFC 9051 §5.4: at least 30 minutes once logged in). */
  idleTimeoutSeconds: number;
  /** Seconds before login. */
  preAuthTimeoutSeconds: number;
  /** Failed logins on one connection before it is closed. */
  maxAuthFailures: number;
  /** How often other processes' changes are looked for in the store's feed, while someone waits for them. */
  pollIntervalMs: number;
  /** Sustained commands per second one session may send; beyond the burst, commands wait for their turn. */
  commandsPerSecond: number;
  /** Commands a session may send at once before the rate applies. */
  commandBurst: number;
}

export const DEFAULT_IMAP_OPTIONS: ImapOptions = {
  maxLineLength: 64 * 1024,
  maxMessageSize: 210_763_776,
  idleTimeoutSeconds: 30 * 60,
  preAuthTimeoutSeconds: 120,
  maxAuthFailures: 5,
  pollIntervalMs: 400,
  commandsPerSecond: 300,
  commandBurst: 1000,
};
