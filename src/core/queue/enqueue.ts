// Putting a message into the outbound queue. Durability order matters: the blob is written and
// fsynced first, then every recipient row in one transaction, so after enqueue returns a crash
// loses nothing, and a crash before it leaves at worst an unreferenced blob (collected later),
// never a row pointing at missing bytes.
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import type { NewQueueItem, QueueItem } from '../../store/ports.js';
import { MailError } from '../errors.js';
import { logMail } from '../maillog/mail-log.js';
import { headerValues, splitMessage } from '../../wire/header-block.js';
import { normaliseDomain } from '../../wire/address.js';
import { signingDomain, signMessage } from './dkim-sign.js';
import type { QueueMeta } from './meta.js';

export interface EnqueueInput {
  /** Envelope sender; '' is the null sender (bounces and other notices). */
  sender: string;
  recipients: string[];
  raw: Uint8Array;
  meta?: QueueMeta;
  /** DKIM-sign when the From (or envelope sender) domain is ours; default true. */
  sign?: boolean;
  /** First attempt not before this time (default now). */
  notBefore?: number;
}

export function newEnvelopeId(now: number): string {
  return `${now.toString(36)}-${randomBytes(6).toString('hex')}`;
}

/**
 * SMTP needs CRLF line ends (RFC 5321 §2.3.8) and DKIM signs what is sent, so bare LFs are fixed
 * before signing; a message that is already clean is returned as is (no copy).
 */
export function toCrlf(raw: Uint8Array): Buffer {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) {
    if (i > 0 && buf[i - 1] === 0x0d) continue;
    parts.push(buf.subarray(from, i), Buffer.from('\r\n'));
    from = i + 1;
  }
  if (parts.length === 0) return buf;
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

/** The domain a recipient row is grouped under; the recipient itself is kept as given. */
export function recipientDomain(recipient: string): string {
  const at = recipient.lastIndexOf('@');
  const domain = at > 0 ? normaliseDomain(recipient.slice(at + 1)) : undefined;
  if (!domain)
    throw new MailError('INVALID_ADDRESS', `invalid recipient address: ${JSON.stringify(recipient)}`);
  return domain;
}

/** Whose mail log a row's events go to: the local address it was queued for. */
export function logAddressOf(item: Pick<QueueItem, 'sender' | 'recipient' | 'meta'>): string {
  const from = item.meta['from'];
  if (typeof from === 'string' && from) return from;
  return item.sender || item.recipient;
}

/** Queues `raw` for every recipient; returns the envelope id that groups the rows. */
export async function enqueue(core: Core, input: EnqueueInput): Promise<string> {
  const seen = new Set<string>();
  const recipients = input.recipients.filter((r) => {
    const k = r.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (recipients.length === 0) throw new MailError('INVALID_ARGUMENT', 'no recipients to queue');
  const domains = recipients.map(recipientDomain);

  const now = core.now();
  const envelopeId = newEnvelopeId(now);
  let raw = toCrlf(input.raw);
  const meta: QueueMeta = { ...input.meta, queuedAt: input.meta?.queuedAt ?? now };
  meta.messageId ??= headerValues(splitMessage(raw), 'message-id')[0] ?? envelopeId;
  if (input.sign !== false) {
    const domain = await signingDomain(core, raw, input.sender);
    if (domain) {
      raw = await signMessage(core, raw, domain);
      meta.dkim = domain.name;
    }
  }

  const blobs = core.store.blobs;
  // A file body is fsynced before the transaction, a database body commits with the queue rows.
  const early = blobs.joinsTransactions(raw.byteLength) ? undefined : await blobs.put(raw);
  const rows = await core.store.transaction(async (tx) => {
    const blob = early ?? (await tx.blobs.put(raw));
    const items: NewQueueItem[] = recipients.map((recipient, i) => ({
      envelopeId,
      sender: input.sender,
      recipient,
      domain: domains[i]!,
      blobHash: blob.hash,
      size: blob.size,
      nextAttemptAt: input.notBefore ?? now,
      meta,
    }));
    return tx.queue.enqueue(items);
  });
  await logMail(
    core,
    rows.map((r) => ({
      address: logAddressOf(r),
      direction: 'out' as const,
      messageId: meta.messageId!,
      event: 'queued',
      detail: {
        recipient: r.recipient,
        queueId: r.id,
        envelopeId,
        size: raw.byteLength,
        kind: meta.kind ?? 'message',
      },
    })),
  );
  return envelopeId;
}
