// The per-address mail log: "why didn't my mail arrive?". Every step of a message's way appends
// here; a failure to log never fails the delivery itself (it is reported in the server log).
import type { Core } from '../context.js';
import type { MailLogDirection, MailLogRecord } from '../../store/ports.js';

export interface MailLogEntry {
  address: string;
  direction: MailLogDirection;
  messageId: string;
  event: string;
  detail?: Record<string, unknown>;
}

/**
 * Appends to the mail log without holding up the caller: the store batches appends made outside a
 * transaction (one commit for many events; see the store's mail log buffer), so the line may land
 * a few milliseconds later — readers in this process still see it. A crash in that window loses
 * log lines only, and a failure is reported in the server log, never to the delivery.
 */
export async function logMail(core: Core, entries: MailLogEntry | MailLogEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  const at = core.now();
  const report = (err: unknown): void =>
    core.log.error({ err, entries: list.length }, 'mail log append failed');
  try {
    core.store.mailLog
      .append(
        list.map((e) => ({
          at,
          address: e.address.toLowerCase(),
          direction: e.direction,
          messageId: e.messageId,
          event: e.event,
          detail: e.detail ?? {},
        })),
      )
      .catch(report);
  } catch (err) {
    report(err);
  }
}

export async function readMailLog(
  core: Core,
  filter: { address?: string; messageId?: string; since?: number; limit?: number },
): Promise<MailLogRecord[]> {
  return core.store.mailLog.query({ ...filter, address: filter.address?.toLowerCase() });
}

/** Drops entries older than the retention (default 20 days, the product's log history). */
export async function purgeMailLog(core: Core, retentionDays: number): Promise<number> {
  return core.store.mailLog.purgeOlderThan(core.now() - retentionDays * 24 * 3600 * 1000);
}
