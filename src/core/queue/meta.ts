// The queue row's free-form `meta`, typed: what enqueue records and the worker reads back.
// Rows written by older versions may lack any field, so reading never trusts the shape.

/** RFC 3461 DSN parameters given with the message (ESMTP NOTIFY/RET/ENVID/ORCPT). */
export interface DsnRequest {
  /** NEVER, or any of SUCCESS, FAILURE, DELAY; absent = the default (failure and delay). */
  notify?: Array<'NEVER' | 'SUCCESS' | 'FAILURE' | 'DELAY'>;
  /** Return the full message or only its headers in a bounce. */
  ret?: 'FULL' | 'HDRS';
  envid?: string;
  /** Original recipients by (lower-case) recipient address, "rfc822;addr" form. */
  orcpt?: Record<string, string>;
}

export type QueueKind = 'message' | 'forward' | 'bounce' | 'delay-notice' | 'success-notice';

export interface QueueMeta {
  /** Message-ID header (or the envelope id): ties the mail log entries of one message together. */
  messageId?: string;
  kind?: QueueKind;
  /** The local address on whose behalf this was queued (its mail log gets the entries). */
  from?: string;
  dsn?: DsnRequest;
  /** core.now() at enqueue: the start of the queue lifetime (the row's createdAt is wall time). */
  queuedAt?: number;
  /** Signing domain when we DKIM-signed at enqueue. */
  dkim?: string;
  [key: string]: unknown;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function readMeta(meta: Record<string, unknown>): QueueMeta {
  const dsn = meta['dsn'];
  const out: QueueMeta = { ...meta };
  out.messageId = str(meta['messageId']);
  out.from = str(meta['from']);
  out.kind = str(meta['kind']) as QueueKind | undefined;
  out.queuedAt = typeof meta['queuedAt'] === 'number' ? meta['queuedAt'] : undefined;
  out.dsn = dsn && typeof dsn === 'object' ? (dsn as DsnRequest) : undefined;
  return out;
}

/** Whether the sender asked (or by default wants) a notice of this kind (RFC 3461 §4.1). */
export function wantsNotice(meta: QueueMeta, what: 'FAILURE' | 'DELAY' | 'SUCCESS'): boolean {
  const notify = meta.dsn?.notify;
  // without NOTIFY, failures and delays are reported, successes are not (RFC 3461 §4.1)
  if (!notify || notify.length === 0) return what !== 'SUCCESS';
  return notify.includes(what);
}
