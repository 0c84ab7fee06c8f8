// The delivery pipeline's pluggable steps. Each has a default that is correct on its own (no spam
// verdict, implicit keep); the Sieve issue replaces the filter, the spam issue the verdict, and
// the queue provides forwarding. The composition root (src/cli) chooses.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import type { ResolutionReason } from '../directory/resolve.js';

export interface SpamVerdict {
  isSpam: boolean;
  score: number;
  /** Fields to add to the stored copy (X-Spam-Status ...); the slot where a real filter reports. */
  headers: Array<{ name: string; value: string }>;
}

export type SpamCheck = (
  core: Core,
  raw: Buffer,
  info: { envelopeFrom: string; remoteIp: string },
) => Promise<SpamVerdict>;

/** No spam filter yet: everything is ham, and the header slot stays empty. */
export const noSpamCheck: SpamCheck = async () => ({ isSpam: false, score: 0, headers: [] });

export interface FilterInput {
  account: Account;
  /** The copy as it will be stored (with our trace fields). */
  raw: Buffer;
  envelopeFrom: string;
  /** The recipient address as given in RCPT TO. */
  envelopeTo: string;
  detail: string | null;
  reasons: ResolutionReason[];
  /** DMARC quarantine or spam verdict: the default destination is Junk. */
  junk: boolean;
}

export interface FilterDecision {
  /** Where to store the message; empty = nothing stored (discard, or everything redirected). */
  deliveries: Array<{ folder: string; flags: string[]; create: boolean }>;
  /** Addresses to send the message on to (through the queue, SRS-rewritten). */
  redirects: string[];
  /** Refuse the message with this reason (SMTP 550 when possible, else a DSN). */
  reject?: string;
  /** The message after edits (editheader), if any. */
  raw?: Buffer;
  /** Human explanation for the mail log: which rule matched and what it did. */
  explain: string[];
  /**
   * Side effects that must follow the stored copy, never precede it (Sieve: duplicate and
   * vacation memories, vacation replies, notifications). The pipeline calls it once every
   * delivery of this recipient committed; when storing fails (the sender will retry) it is
   * not called, so the retry is not taken for a duplicate. Its own failure is only logged.
   */
  afterDelivery?: () => Promise<void>;
}

export type MessageFilter = (core: Core, input: FilterInput) => Promise<FilterDecision>;

/** RFC 5228 §2.10.2 implicit keep: INBOX, or Junk for quarantined mail. */
export const implicitKeep: MessageFilter = async (_core, input) => ({
  deliveries: [{ folder: input.junk ? 'Junk' : 'INBOX', flags: [], create: false }],
  redirects: [],
  explain: [],
});

/** Sends a message on to other addresses (forwarding, redirection, Sieve redirect). */
export type Forwarder = (
  core: Core,
  req: { originalSender: string; via: string; to: string[]; raw: Buffer; reason: string },
) => Promise<void>;

export interface DeliveryHooks {
  spam: SpamCheck;
  filter: MessageFilter;
  forward: Forwarder;
}
