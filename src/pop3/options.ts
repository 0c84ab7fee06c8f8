// Limits of the POP3 service (the composition root may override them).

export interface Pop3Options {
  /**
   * Longest command line with its CRLF. RFC 2449 §4 has clients keep to 255 octets; we take a little
   * more so a long address or password never locks anybody out.
   */
  maxLineLength: number;
  /** Longest SASL client response line (RFC 5034 §4 puts no 255-octet bound on those). */
  maxSaslLineLength: number;
  /** Seconds without a command before the session is dropped; RFC 1939 §3 asks for at least 10 minutes. */
  idleTimeoutSeconds: number;
  /** Seconds allowed before login. */
  preAuthTimeoutSeconds: number;
  /** Failed logins on one connection before it is closed (the IP-wide count is core/security/bans.ts). */
  maxAuthFailures: number;
  /** Unknown, malformed, too long or out-of-state commands before the connection is closed. */
  maxBadCommands: number;
  /** How often a session pushes its maildrop lock's expiry forward. */
  lockRefreshMs: number;
}

export const DEFAULT_POP3_OPTIONS: Pop3Options = {
  maxLineLength: 512,
  maxSaslLineLength: 16 * 1024,
  idleTimeoutSeconds: 10 * 60,
  preAuthTimeoutSeconds: 120,
  maxAuthFailures: 3,
  maxBadCommands: 20,
  lockRefreshMs: 20_000,
};
