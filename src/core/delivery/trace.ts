// Trace fields of an arriving message (RFC 5321 §4.4): Received, Return-Path, Delivered-To, the
// removal of Authentication-Results that claim to be ours (RFC 8601 §5), and loop detection.
import { makeField, splitMessage, type HeaderField, type SplitMessage } from '../../wire/header-block.js';
import { rfc5322Date } from '../../wire/date.js';

export interface ReceivedInfo {
  helo: string;
  ip: string;
  /** Reverse DNS name if known. */
  rdns?: string;
  hostname: string;
  /** RFC 3848 protocol: SMTP, ESMTP, ESMTPS, ESMTPA, ESMTPSA, LMTP, HTTP... */
  protocol: string;
  tlsCipher?: string;
  id: string;
  /** Named only when there is a single recipient (several would disclose Bcc recipients). */
  recipient?: string;
  at: number;
}

export function receivedField(i: ReceivedInfo): HeaderField {
  const from = `from ${i.helo || 'unknown'} (${i.rdns ? i.rdns + ' ' : ''}[${i.ip}])`;
  const by = `by ${i.hostname} (Mailstead) with ${i.protocol}${i.tlsCipher ? ` (${i.tlsCipher})` : ''} id ${i.id}`;
  const forPart = i.recipient ? `\r\n\tfor <${i.recipient}>` : '';
  return makeField('Received', `${from}\r\n\t${by}${forPart};\r\n\t${rfc5322Date(i.at)}`);
}

/** Authentication-Results whose authserv-id is our host name are forgeries from outside: dropped. */
export function dropForgedAuthResults(m: SplitMessage, hostname: string): number {
  const ours = hostname.toLowerCase();
  const before = m.fields.length;
  m.fields = m.fields.filter((f) => {
    if (f.key !== 'authentication-results' && f.key !== 'arc-authentication-results') return true;
    const v = f.key === 'arc-authentication-results' ? f.value.replace(/^i=\d+;\s*/, '') : f.value;
    const id = v.split(/[;\s]/)[0]?.toLowerCase() ?? '';
    return f.key === 'arc-authentication-results' || id !== ours;
  });
  return before - m.fields.length;
}

export type LoopVerdict = { loop: false } | { loop: true; reason: string };

/** Too many hops, or a Delivered-To that names a recipient we are delivering to again. */
export function detectLoop(raw: Buffer, recipients: string[], maxReceived: number): LoopVerdict {
  const m = splitMessage(raw);
  const hops = m.fields.filter((f) => f.key === 'received').length;
  if (hops > maxReceived) return { loop: true, reason: `too many hops (${hops} Received fields)` };
  const delivered = new Set(
    m.fields.filter((f) => f.key === 'delivered-to').map((f) => f.value.trim().toLowerCase()),
  );
  const again = recipients.find((r) => delivered.has(r.toLowerCase()));
  if (again)
    return { loop: true, reason: `mail for ${again} has already been delivered here (Delivered-To)` };
  return { loop: false };
}

/** The copy stored for one recipient: Return-Path and Delivered-To on top of the shared trace. */
export function localCopy(
  raw: Buffer,
  opts: { envelopeFrom: string; deliveredTo: string; trace: HeaderField[] },
): Buffer {
  const m = splitMessage(raw);
  m.fields = m.fields.filter((f) => f.key !== 'return-path');
  m.fields.unshift(
    makeField('Return-Path', `<${opts.envelopeFrom}>`, m.eol),
    makeField('Delivered-To', opts.deliveredTo, m.eol),
    ...opts.trace.map((f) =>
      m.eol === '\n' ? makeField(f.name, f.raw.slice(f.name.length + 2).replace(/\r?\n$/, ''), '\n') : f,
    ),
  );
  const head = Buffer.from(m.fields.map((f) => f.raw).join(''), 'latin1');
  return Buffer.concat([head, Buffer.from(m.eol), m.body]);
}
