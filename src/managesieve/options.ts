// Settings of the ManageSieve service; the composition root (src/cli/protocols.ts) passes overrides.
import { DEFAULT_LIMITS } from '../sieve/index.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from '../core/rules/limits.js';

export interface ManageSieveOptions {
  /** IMPLEMENTATION capability (RFC 5804 §1.7). */
  readonly implementation: string;
  /** Non-literal bytes of one command line. */
  readonly maxLineLength: number;
  /** Script limits, shared with the web UI (QUOTA/MAXSIZE, QUOTA/MAXSCRIPTS). */
  readonly limits: RulesLimits;
  /** MAXREDIRECTS capability: what the delivery engine allows per evaluation. */
  readonly maxRedirects: number;
  /** Failed AUTHENTICATE attempts before BYE. */
  readonly maxAuthFailures: number;
  readonly preAuthTimeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
}

export const DEFAULT_MANAGESIEVE_OPTIONS: ManageSieveOptions = {
  implementation: 'Mailstead',
  maxLineLength: 8192,
  limits: DEFAULT_RULES_LIMITS,
  maxRedirects: DEFAULT_LIMITS.maxRedirects,
  maxAuthFailures: 3,
  preAuthTimeoutSeconds: 120,
  // RFC 5804 has no idle rule; 30 minutes like IMAP's autologout.
  idleTimeoutSeconds: 1800,
};
