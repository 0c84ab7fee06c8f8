/**
 * vacation (RFC 5230) and vacation-seconds (RFC 6131). The engine decides whether a
 * reply is allowed (RFC 3834 rules) and what its subject and From are; the host does the
 * "already replied within the period" tracking with `trackingKey` and sends the reply.
 */
import { createHash } from 'node:crypto';
import type { Extension } from '../extension.js';
import { flattenAddresses, parseAddrSpec, parseAddressList } from '../../mime/index.js';
import type { Runtime } from '../runtime/runtime.js';

const DAY = 86400;

function addrOf(s: string): string | null {
  const list = flattenAddresses(parseAddressList(s)).filter((a) => a.valid);
  if (list.length === 1) return list[0]!.address;
  return parseAddrSpec(s)?.address ?? null;
}

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

const LIST_HEADERS = [
  'list-id',
  'list-owner',
  'list-subscribe',
  'list-post',
  'list-unsubscribe',
  'list-help',
  'list-archive',
];

/** Why no reply may be sent, or undefined when it may. */
function suppression(
  rt: Runtime,
  sender: string | null,
  mine: readonly string[],
  checkRecipient: boolean,
): { reason?: string; via?: string } {
  if (!sender) return { reason: 'null envelope sender' };
  const local = sender.slice(0, sender.lastIndexOf('@')).toLowerCase();
  if (mine.some((m) => sameAddress(m, sender))) return { reason: 'sender is the recipient' };
  if (
    ['mailer-daemon', 'listserv', 'majordomo'].includes(local) ||
    local.endsWith('-request') ||
    local.startsWith('owner-')
  )
    return { reason: 'sender is a system address' };
  const auto = rt.message.values('auto-submitted')[0];
  if (auto !== undefined && auto.trim().toLowerCase() !== 'no') return { reason: 'auto-submitted message' };
  const prec = rt.message.values('precedence')[0]?.trim().toLowerCase();
  if (prec === 'bulk' || prec === 'list' || prec === 'junk') return { reason: `precedence ${prec}` };
  const ars = rt.message.values('x-auto-response-suppress')[0]?.toLowerCase() ?? '';
  if (/\b(oof|all)\b/.test(ars)) return { reason: 'X-Auto-Response-Suppress' };
  if (LIST_HEADERS.some((h) => rt.message.rawValues(h).length > 0)) return { reason: 'mailing list message' };
  // The message must be addressed to the user (RFC 5230 §4.5).
  const headers = ['to', 'cc', 'bcc', 'resent-to', 'resent-cc', 'resent-bcc'];
  for (const h of headers)
    for (const v of rt.message.rawValues(h))
      for (const a of flattenAddresses(parseAddressList(v))) {
        if (!a.valid) continue;
        const hit = mine.find((m) => sameAddress(m, a.address));
        if (hit) return { via: a.address };
      }
  return checkRecipient ? { reason: 'recipient not in To/Cc/Bcc' } : {};
}

/**
 * Cut to at most `max` code points, the last one an ellipsis when cut (Dovecot's
 * `str_sanitize_utf8`, used for reply and notification subjects).
 */
export function limitSubject(s: string, max: number): string {
  const cps = [...s];
  if (cps.length <= max) return s;
  return `${cps.slice(0, Math.max(0, max - 1)).join('')}\u2026`;
}

export const vacationExtension: Extension = {
  capabilities: ['vacation'],
  commands: [
    {
      name: 'vacation',
      kind: 'command',
      tags: [
        { name: 'days', param: 'number', group: 'period' },
        { name: 'seconds', param: 'number', group: 'period', requires: 'vacation-seconds' },
        { name: 'subject', param: 'string' },
        { name: 'from', param: 'string' },
        { name: 'addresses', param: 'strings' },
        { name: 'mime' },
        { name: 'handle', param: 'string' },
      ],
      positional: ['string'],
      validate(node, cc, pos) {
        const from = cc.literal(node.tags['from']);
        if (from !== undefined && !addrOf(from))
          cc.error(pos, `specified :from address '${from}' is invalid for vacation action`);
        const addrs = node.tags['addresses'];
        if (Array.isArray(addrs))
          for (const a of addrs)
            if (typeof a === 'string' && !addrOf(a))
              cc.error(pos, `specified :addresses item '${a}' is invalid for vacation action`);
      },
      evaluate(rt, node) {
        const cfg = rt.options.vacation ?? {};
        let seconds: number;
        if (typeof node.tags['seconds'] === 'number') seconds = node.tags['seconds'];
        else if (typeof node.tags['days'] === 'number') seconds = node.tags['days'] * DAY;
        else seconds = cfg.defaultPeriod ?? 7 * DAY;
        if (cfg.minPeriod && seconds < cfg.minPeriod && seconds !== 0) seconds = cfg.minPeriod;
        if (cfg.maxPeriod && seconds > cfg.maxPeriod) seconds = cfg.maxPeriod;
        const reason = rt.expandOne(node.args[0]);
        const subject = node.tags['subject'] !== undefined ? rt.expandOne(node.tags['subject']) : undefined;
        const fromRaw = node.tags['from'] !== undefined ? rt.expandOne(node.tags['from']) : undefined;
        const from = fromRaw !== undefined && addrOf(fromRaw) ? fromRaw : undefined;
        const handle = node.tags['handle'] !== undefined ? rt.expandOne(node.tags['handle']) : undefined;
        const addresses = rt.expand(node.tags['addresses']);
        const mime = node.tags['mime'] !== undefined;
        const env = rt.envelope;
        const sender =
          env.from === '' || env.from === '<>' ? null : (parseAddrSpec(env.from)?.address ?? null);
        const user = [
          env.to,
          ...(cfg.useOriginalRecipient && env.origTo ? [env.origTo] : []),
          ...(rt.options.userAddresses ?? []),
        ]
          .map((a) => parseAddrSpec(a)?.address)
          .filter((a): a is string => !!a);
        const mine = [...user, ...addresses.map(addrOf).filter((a): a is string => !!a)];
        const s = suppression(rt, sender, mine, cfg.checkRecipient ?? true);
        const original = rt.message.values('subject')[0];
        const template = cfg.subjectTemplate || 'Auto: %$';
        const replySubject = limitSubject(
          subject ??
            (original !== undefined && original.trim() !== ''
              ? template.replace(/%\$|%\{subject\}/g, () => original.trim())
              : cfg.defaultSubject || 'Automated reply'),
          cfg.maxSubjectLength ?? 256,
        );
        const replyFrom = (from && addrOf(from)) ?? s.via ?? user[0] ?? env.to;
        const trackingKey =
          handle ??
          createHash('sha256')
            .update(`${subject ?? ''}\0${fromRaw ?? ''}\0${mime ? 1 : 0}\0${reason}`)
            .digest('hex');
        const inReplyTo = rt.message.values('message-id')[0];
        rt.addAction({
          type: 'vacation',
          to: sender ?? '',
          seconds,
          ...(subject !== undefined ? { subject } : {}),
          ...(fromRaw !== undefined ? { from: fromRaw } : {}),
          ...(handle !== undefined ? { handle } : {}),
          trackingKey,
          reason,
          mime,
          addresses,
          send: s.reason === undefined,
          ...(s.reason !== undefined ? { suppressedBecause: s.reason } : {}),
          replySubject,
          replyFrom,
          ...(inReplyTo !== undefined ? { inReplyTo } : {}),
        });
        return true;
      },
    },
  ],
};

export const vacationSecondsExtension: Extension = {
  capabilities: ['vacation-seconds'],
  implies: ['vacation'],
};
