// What the queue worker needs from the outside world to move a message on: a Transport that speaks
// to other hosts (src/smtp/outbound implements it) and a local-delivery callback (the delivery
// pipeline). The core names neither a protocol nor a socket, so it is tested with fakes.

/** The fate of one recipient after one delivery attempt. */
export interface RecipientResult {
  recipient: string;
  /** sent: accepted by the next hop; temp: try again later (4xx, no connection); perm: bounce (5xx). */
  status: 'sent' | 'temp' | 'perm';
  /** The SMTP reply code that decided it (0 when there was no reply, e.g. no connection). */
  code: number;
  /** The remote reply or our own explanation, one line. */
  text: string;
  /** The host that answered, for the mail log and the DSN's Remote-MTA (RFC 3464 §2.3.5). */
  remoteMta?: string;
}

export interface Transport {
  /**
   * Delivers `raw` to `recipients`, all in `domain`, with envelope sender `sender` ('' = null
   * sender). Never throws for a delivery problem: every recipient gets a result, in order.
   */
  deliver(domain: string, sender: string, recipients: string[], raw: Buffer): Promise<RecipientResult[]>;
}

/**
 * Hands one recipient of ours to the local delivery pipeline (resolution, Sieve, folders, quota).
 * Resolving returns normally; a refusal throws: a MailError with `temporary` set (e.g. over
 * quota) or any unexpected error is retried later, any other MailError bounces.
 */
export type DeliverLocal = (sender: string, recipient: string, raw: Buffer) => Promise<void>;
