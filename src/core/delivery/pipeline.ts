// THE local delivery pipeline, for every source (MX, submission to local users, the queue's local
// short-circuit, later the webmail): per recipient, spam verdict -> filter (Sieve) -> store (blob
// fsynced, then rows committed) -> change feed -> mail log. It returns only when every copy it
// reports as stored is durable, so the caller may answer 250.
import type { Core } from '../context.js';
import { isMailError, isStorageFull } from '../errors.js';
import type { Resolution } from '../directory/resolve.js';
import type { Account } from '../directory/accounts.js';
import { deliverToFolder } from '../mailbox/deliver.js';
import { logMail } from '../maillog/mail-log.js';
import type { HeaderField } from '../../wire/header-block.js';
import { joinMessage, makeField, splitMessage } from '../../wire/header-block.js';
import { localCopy } from './trace.js';
import type { DeliveryHooks } from './hooks.js';

export type LocalResolution = Extract<Resolution, { kind: 'local' }>;

export interface IncomingMail {
  /** The message as received (no trace fields of ours yet). */
  raw: Buffer;
  /** '' is the null sender. */
  envelopeFrom: string;
  /** Message-ID (or our id when it has none), for the mail log. */
  messageId: string;
  /** Fields every local copy gets on top: Received, Authentication-Results. */
  trace: HeaderField[];
  /** DMARC quarantine: the default folder is Junk. */
  quarantine: boolean;
  remoteIp: string;
  /** Extra facts for the mail log's "received" event (TLS, SPF/DKIM/DMARC results...). */
  logDetail: Record<string, unknown>;
}

export type RecipientOutcome =
  | { recipient: string; status: 'delivered'; folders: string[]; forwarded: string[] }
  | { recipient: string; status: 'rejected'; reason: string }
  | {
      recipient: string;
      status: 'failed';
      temporary: boolean;
      reason: string;
      code: 'OVER_QUOTA' | 'STORAGE_FULL' | 'ERROR';
    };

async function deliverToAccount(
  core: Core,
  hooks: DeliveryHooks,
  mail: IncomingMail,
  rcpt: LocalResolution,
  account: Account,
  junkBySpam: boolean,
  spamHeaders: HeaderField[],
): Promise<{
  folders: string[];
  redirects: string[];
  redirectRaw: Buffer;
  reject?: string;
  explain: string[];
  afterDelivery?: () => Promise<void>;
}> {
  const copy = localCopy(mail.raw, {
    envelopeFrom: mail.envelopeFrom,
    deliveredTo: account.address,
    trace: [...spamHeaders, ...mail.trace],
  });
  const decision = await hooks.filter(core, {
    account,
    raw: copy,
    envelopeFrom: mail.envelopeFrom,
    envelopeTo: rcpt.input,
    detail: rcpt.detail,
    reasons: rcpt.reasons,
    junk: mail.quarantine || junkBySpam,
  });
  if (decision.reject !== undefined)
    return {
      folders: [],
      redirects: [],
      redirectRaw: copy,
      reject: decision.reject,
      explain: decision.explain,
    };
  const stored = decision.raw ?? copy;
  const folders: string[] = [];
  for (const d of decision.deliveries) {
    const r = await deliverToFolder(core, account.addressId, d.folder, stored, {
      flags: d.flags,
      create: d.create,
    });
    const name = r.folder;
    folders.push(name);
    if (name !== d.folder) decision.explain.push(`folder "${d.folder}" does not exist: delivered to ${name}`);
  }
  // A redirected copy is the message as filtered (editheader edits, our trace, Delivered-To for
  // loop detection), without the Return-Path that only belongs to a final delivery.
  return {
    folders,
    redirects: decision.redirects,
    // Rewritten only when something is redirected (it re-splits the whole message).
    redirectRaw: decision.redirects.length ? withoutReturnPath(stored) : stored,
    explain: decision.explain,
    ...(decision.afterDelivery ? { afterDelivery: decision.afterDelivery } : {}),
  };
}

function withoutReturnPath(raw: Buffer): Buffer {
  const m = splitMessage(raw);
  m.fields = m.fields.filter((f) => f.key !== 'return-path');
  return joinMessage(m);
}

/**
 * Delivers `mail` to each local recipient. Recipients are independent: one over quota does not
 * stop the others. Spam is never forwarded.
 */
export async function deliverLocal(
  core: Core,
  hooks: DeliveryHooks,
  mail: IncomingMail,
  recipients: LocalResolution[],
): Promise<RecipientOutcome[]> {
  const verdict = await hooks.spam(core, mail.raw, {
    envelopeFrom: mail.envelopeFrom,
    remoteIp: mail.remoteIp,
  });
  const spamHeaders = verdict.headers.map((h) => makeField(h.name, h.value));
  const outcomes: RecipientOutcome[] = [];
  for (const rcpt of recipients) {
    const logBase = { address: rcpt.canonical, direction: 'in' as const, messageId: mail.messageId };
    await logMail(core, {
      ...logBase,
      event: 'received',
      detail: {
        from: mail.envelopeFrom,
        to: rcpt.input,
        ip: mail.remoteIp,
        via: rcpt.reasons,
        ...mail.logDetail,
      },
    });
    try {
      const folders: string[] = [];
      const forwarded: string[] = [];
      const explain: string[] = [];
      const after: Array<() => Promise<void>> = [];
      let rejected: string | undefined;
      for (const target of rcpt.targets) {
        if (target.kind === 'mailbox') {
          const r = await deliverToAccount(
            core,
            hooks,
            mail,
            rcpt,
            target.account,
            verdict.isSpam,
            spamHeaders,
          );
          if (r.reject !== undefined) {
            rejected = r.reject;
            explain.push(...r.explain);
            break;
          }
          folders.push(...r.folders);
          explain.push(...r.explain);
          if (r.afterDelivery) after.push(r.afterDelivery);
          if (r.redirects.length) {
            await hooks.forward(core, {
              originalSender: mail.envelopeFrom,
              via: target.account.address,
              to: r.redirects,
              raw: r.redirectRaw,
              reason: 'sieve redirect',
            });
            forwarded.push(...r.redirects);
          }
        } else if (verdict.isSpam || mail.quarantine) {
          explain.push(`not forwarded to ${target.to}: judged spam`);
        } else {
          await hooks.forward(core, {
            originalSender: mail.envelopeFrom,
            via: rcpt.canonical,
            to: [target.to],
            raw: mail.raw,
            reason: rcpt.reasons.includes('redirection') ? 'redirection' : 'forwarding',
          });
          forwarded.push(target.to);
        }
      }
      if (rejected !== undefined) {
        await logMail(core, { ...logBase, event: 'rejected', detail: { reason: rejected, rules: explain } });
        outcomes.push({ recipient: rcpt.input, status: 'rejected', reason: rejected });
        continue;
      }
      // Every copy of this recipient is stored: now the filters' post-commit steps (see hooks.ts).
      for (const step of after)
        await step().catch((e: unknown) =>
          core.log.error({ err: e, rcpt: rcpt.canonical }, 'post-delivery step failed'),
        );
      await logMail(core, {
        ...logBase,
        event: folders.length || forwarded.length ? 'delivered' : 'discarded',
        detail: { folders, forwarded, ...(explain.length ? { rules: explain } : {}) },
      });
      outcomes.push({ recipient: rcpt.input, status: 'delivered', folders, forwarded });
    } catch (e) {
      const overQuota = isMailError(e, 'OVER_QUOTA');
      const full = !overQuota && isStorageFull(e);
      const reason = overQuota ? 'mailbox full' : full ? 'server storage full' : 'local delivery failed';
      if (!overQuota) core.log.error({ err: e, rcpt: rcpt.canonical }, 'local delivery failed');
      await logMail(core, { ...logBase, event: 'deferred', detail: { reason } });
      outcomes.push({
        recipient: rcpt.input,
        status: 'failed',
        temporary: true,
        reason,
        code: overQuota ? 'OVER_QUOTA' : full ? 'STORAGE_FULL' : 'ERROR',
      });
    }
  }
  return outcomes;
}
