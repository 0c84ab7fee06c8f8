/** enotify (RFC 5435) with the mailto method (RFC 5436). */
import type { Extension } from '../extension.js';
import type { NotifyAction } from '../types.js';
import { flattenAddresses, parseAddrSpec, parseAddressList } from '../../mime/index.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { MATCH_TAGS } from './tags.js';

export interface MailtoUri {
  to: string[];
  cc: string[];
  bcc: string[];
  /** Recipients as written (display names kept), for the notification's To/Cc headers. */
  display: { to: string[]; cc: string[] };
  subject?: string;
  body?: string;
  headers: { name: string; value: string }[];
}

function pctDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

// Headers a mailto URI must not set (RFC 5436 §2.2).
const UNSAFE = [
  'received',
  'return-path',
  'auto-submitted',
  'from',
  'sender',
  'resent-from',
  'message-id',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
];

function parseRecipients(s: string, display: string[] = []): string[] | null {
  if (s === '') return [];
  const out: string[] = [];
  for (const part of s.split(/,|%2[cC]/)) {
    const d = pctDecode(part);
    if (d === null) return null;
    const list = flattenAddresses(parseAddressList(d.trim()));
    const a = list.length === 1 && list[0]!.valid ? list[0]! : null;
    if (!a) return null;
    out.push(a.address);
    display.push(d.trim());
  }
  return out;
}

/** Parse a mailto: URI (RFC 6068); null when invalid. */
export function parseMailto(uri: string): MailtoUri | null {
  const m = /^mailto:([^?]*)(?:\?(.*))?$/is.exec(uri);
  if (!m) return null;
  if (/[^A-Za-z0-9\-._~!$'()*+,;=:@%]/.test(m[1]!)) return null;
  // RFC 6068: header fields and values are qchars (no '<', '>', '"', spaces...).
  if (m[2] !== undefined && /[^A-Za-z0-9\-._~!$'()*+,;:@%=&/?]/.test(m[2])) return null;
  const display = { to: [] as string[], cc: [] as string[] };
  const to = parseRecipients(m[1]!, display.to);
  if (!to) return null;
  const r: MailtoUri = { to, cc: [], bcc: [], headers: [], display };
  for (const pair of (m[2] ?? '').split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    const name = pctDecode(pair.slice(0, eq))?.toLowerCase();
    const value = pctDecode(pair.slice(eq + 1));
    if (name === undefined || value === null) return null;
    if (!/^[!-9;-~]+$/.test(name)) return null;
    if (name === 'to' || name === 'cc' || name === 'bcc') {
      const list = parseRecipients(pair.slice(eq + 1), name === 'bcc' ? [] : display[name]);
      if (!list) return null;
      r[name].push(...list);
    } else if (name === 'subject') r.subject = value;
    else if (name === 'body') r.body = value;
    else if (!UNSAFE.includes(name)) r.headers.push({ name, value });
  }
  if (r.to.length + r.cc.length + r.bcc.length === 0) return null;
  return r;
}

export function validNotifyMethod(uri: string): boolean {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  return scheme === 'mailto' && parseMailto(uri) !== null;
}

export const enotifyExtension: Extension = {
  capabilities: ['enotify'],
  commands: [
    {
      name: 'notify',
      kind: 'command',
      tags: [
        { name: 'from', param: 'string' },
        { name: 'importance', param: 'string' },
        { name: 'options', param: 'strings' },
        { name: 'message', param: 'string' },
      ],
      positional: ['string'],
      validate(node, cc, pos) {
        if (cc.limits.maxNotifications === 0) {
          cc.error(pos, 'notify action: local policy prohibits the use of a notify action');
        }
        const uri = cc.literal(node.args[0]);
        if (uri !== undefined) {
          const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
          if (!scheme) cc.error(pos, `notify command: invalid method URI '${uri}'`);
          else if (scheme !== 'mailto') cc.error(pos, `notify command: invalid method '${scheme}'`);
          else if (!parseMailto(uri)) cc.error(pos, `notify command: invalid mailto URI '${uri}'`);
        }
        const imp = cc.literal(node.tags['importance']);
        if (imp !== undefined && !['1', '2', '3'].includes(imp))
          cc.error(pos, `notify command: invalid :importance value '${imp}'`);
        const from = cc.literal(node.tags['from']);
        if (from !== undefined && !parseAddrSpec(from))
          cc.error(pos, `notify command: invalid :from address '${from}'`);
        if (node.tags['options'] !== undefined && cc.isLiteral(node.tags['options']))
          cc.error(pos, 'notify command: the mailto method accepts no :options');
      },
      evaluate(rt, node) {
        const uri = rt.expandOne(node.args[0]);
        const mailto = parseMailto(uri);
        if (!mailto) {
          rt.warn(`notify action: invalid method URI '${uri}'`);
          return true;
        }
        const impStr = node.tags['importance'] !== undefined ? rt.expandOne(node.tags['importance']) : '2';
        const importance = ['1', '2', '3'].includes(impStr) ? Number(impStr) : 2;
        let from = node.tags['from'] !== undefined ? rt.expandOne(node.tags['from']) : undefined;
        if (from !== undefined && !parseAddrSpec(from)) {
          rt.warn(`notify action: specified :from address '${from}' is invalid`);
          from = undefined;
        }
        const message = node.tags['message'] !== undefined ? rt.expandOne(node.tags['message']) : undefined;
        const action: NotifyAction = {
          type: 'notify',
          method: 'mailto',
          uri,
          importance,
          options: rt.expand(node.tags['options']),
          ...(from !== undefined ? { from } : {}),
          ...(message !== undefined ? { message } : {}),
          mailto,
        };
        rt.addAction(action);
        return true;
      },
    },
    {
      name: 'valid_notify_method',
      kind: 'test',
      positional: ['strings'],
      evaluate(rt, node) {
        return rt.expand(node.args[0]).every(validNotifyMethod);
      },
    },
    {
      name: 'notify_method_capability',
      kind: 'test',
      tags: [...MATCH_TAGS],
      positional: ['string', 'string', 'strings'],
      evaluate(rt, node) {
        const uri = rt.expandOne(node.args[0]);
        const cap = rt.expandOne(node.args[1]).toLowerCase();
        if (!validNotifyMethod(uri)) return false;
        if (cap !== 'online') return false;
        return matchValues(rt, matchSpec(rt, node), ['maybe'], rt.expand(node.args[2]));
      },
    },
  ],
};
