// The auto-reply ("Répondeur", product-spec §2) as data: an address keeps several saved auto-replies,
// at most one active. Each becomes a Sieve vacation script at delivery (script.ts); nothing here
// knows about storage.
import { MailError } from '../errors.js';
import { formatAddress, parseAddress } from '../../wire/address.js';

/** Weekdays in Sieve's order (RFC 5260 "weekday": 0 = Sunday). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface AutoReply {
  readonly id: string;
  readonly name: string;
  /** The reply's text body; no signature is added (product-spec §2). */
  readonly message: string;
  /** The reply's Subject; absent = "Auto: <original subject>" (the vacation default). */
  readonly subject?: string;
  /** Active from this instant (ms since the epoch), inclusive. */
  readonly startsAt?: number;
  /** Active until this instant (ms since the epoch), exclusive. */
  readonly endsAt?: number;
  /** Active only on these weekdays (in `zone`); combined with the date window when both are set. */
  readonly recurrentDays?: readonly Weekday[];
  /** The UTC offset ("+hhmm") the weekdays are counted in; Sieve's currentdate takes fixed offsets. */
  readonly zone: string;
  /** Senders (From or envelope sender) that never get this reply; lower-case, ASCII domains. */
  readonly dontReplyTo: readonly string[];
  /** The reply's From: one of the address's own addresses; absent = the address the mail was sent to. */
  readonly replyFrom?: string;
  /** At most one reply per sender per this many days (vacation `:days`). */
  readonly days: number;
  readonly isActive: boolean;
  /** The service-level template it was copied from, if any. */
  readonly templateId?: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * What callers may set. `null` clears an optional field on update. The period defaults to one day:
 * the product does not document its interval, and a daily reminder is what an out-of-office
 * correspondent expects; Pigeonhole's 7-day default suits a "gone for weeks" message less well.
 */
export interface AutoReplyInput {
  name?: string;
  message?: string;
  subject?: string | null;
  startsAt?: number | null;
  endsAt?: number | null;
  recurrentDays?: readonly Weekday[] | null;
  zone?: string;
  dontReplyTo?: readonly string[];
  replyFrom?: string | null;
  days?: number;
  isActive?: boolean;
}

export const AUTOREPLY_LIMITS = {
  /** The product's API limit on `message`, in characters. */
  maxMessage: 65_536,
  maxSubject: 255,
  maxName: 100,
  maxDontReplyTo: 200,
  /** Saved auto-replies per address; service-level templates per service. */
  maxPerAddress: 20,
  maxTemplates: 50,
  /** Vacation periods the delivery filter accepts (Pigeonhole's min and max). */
  minDays: 1,
  maxDays: 60,
} as const;

export const DEFAULT_DAYS = 1;
export const DEFAULT_ZONE = '+0000';

const invalid = (msg: string): MailError => new MailError('INVALID_ARGUMENT', msg);

export function validateName(name: string): string {
  const n = name.trim();
  if (n === '') throw invalid('An auto-reply needs a name');
  if ([...n].length > AUTOREPLY_LIMITS.maxName)
    throw invalid(`An auto-reply name has at most ${AUTOREPLY_LIMITS.maxName} characters`);
  if (/[\x00-\x1f\x7f]/.test(n)) throw invalid('An auto-reply name is one line of text');
  return n;
}

export function validateMessage(message: string): string {
  // One line-ending form: the generated script and the reply body both go through CRLF later.
  const m = message.replace(/\r\n?/g, '\n');
  if (m.trim() === '') throw invalid('An auto-reply needs a message');
  if ([...m].length > AUTOREPLY_LIMITS.maxMessage)
    throw invalid(`An auto-reply message has at most ${AUTOREPLY_LIMITS.maxMessage} characters`);
  if (m.includes('\0')) throw invalid('An auto-reply message cannot contain NUL characters');
  return m;
}

export function validateSubject(subject: string): string {
  const s = subject.trim();
  // It becomes a header field: a line break would let it inject fields into the reply.
  if (/[\r\n\x00]/.test(s)) throw invalid('An auto-reply subject is one line of text');
  if ([...s].length > AUTOREPLY_LIMITS.maxSubject)
    throw invalid(`An auto-reply subject has at most ${AUTOREPLY_LIMITS.maxSubject} characters`);
  return s;
}

export function validateZone(zone: string): string {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(zone.trim());
  if (!m || Number(m[2]) > 14 || Number(m[3]) > 59)
    throw invalid(`Not a UTC offset: ${JSON.stringify(zone)} (expected +hhmm or -hhmm)`);
  return zone.trim();
}

export function validateDays(days: number): number {
  const { minDays, maxDays } = AUTOREPLY_LIMITS;
  if (!Number.isInteger(days) || days < minDays || days > maxDays)
    throw invalid(`The reply period is a whole number of days between ${minDays} and ${maxDays}`);
  return days;
}

export function validateWeekdays(days: readonly string[]): Weekday[] {
  const set = new Set<Weekday>();
  for (const d of days) {
    const w = d.trim().toLowerCase().slice(0, 3) as Weekday;
    if (!WEEKDAYS.includes(w)) throw invalid(`Not a weekday: ${JSON.stringify(d)}`);
    set.add(w);
  }
  if (set.size === 0) throw invalid('A recurring auto-reply needs at least one weekday');
  return WEEKDAYS.filter((w) => set.has(w));
}

/** A normalised address (lower-case local part, ASCII domain), or a MailError. */
export function normaliseAddress(input: string): string {
  const p = parseAddress(input);
  if (!p) throw new MailError('INVALID_ADDRESS', `Not a valid address: ${JSON.stringify(input)}`);
  return formatAddress(p.local, p.domain);
}

export function validateDontReplyTo(list: readonly string[]): string[] {
  const out = [...new Set(list.map(normaliseAddress))];
  if (out.length > AUTOREPLY_LIMITS.maxDontReplyTo)
    throw invalid(`At most ${AUTOREPLY_LIMITS.maxDontReplyTo} exempt senders`);
  return out;
}

function validateInstant(v: number, what: string): number {
  if (!Number.isFinite(v) || v < 0 || v > 253402300799000) throw invalid(`Not a valid ${what}`);
  // Sieve compares to the second.
  return Math.floor(v / 1000) * 1000;
}

/**
 * Applies `input` over `base` and checks the whole. `ownAddresses` are the address's own addresses
 * (lower-case), the only identities `replyFrom` may take.
 */
export function buildAutoReply(
  base: AutoReply,
  input: AutoReplyInput,
  ownAddresses: readonly string[],
  now: number,
): AutoReply {
  const next: {
    -readonly [K in keyof AutoReply]: AutoReply[K];
  } = { ...base, updatedAt: now };
  if (input.name !== undefined) next.name = input.name;
  if (input.message !== undefined) next.message = input.message;
  if (input.zone !== undefined) next.zone = input.zone;
  if (input.days !== undefined) next.days = input.days;
  if (input.isActive !== undefined) next.isActive = input.isActive;
  if (input.dontReplyTo !== undefined) next.dontReplyTo = input.dontReplyTo;
  const setOrClear = <K extends 'subject' | 'startsAt' | 'endsAt' | 'recurrentDays' | 'replyFrom'>(
    k: K,
    v: AutoReply[K] | null | undefined,
  ): void => {
    if (v === null) delete next[k];
    else if (v !== undefined) next[k] = v;
  };
  setOrClear('subject', input.subject);
  setOrClear('startsAt', input.startsAt);
  setOrClear('endsAt', input.endsAt);
  setOrClear('recurrentDays', input.recurrentDays);
  setOrClear('replyFrom', input.replyFrom);

  next.name = validateName(next.name);
  next.message = validateMessage(next.message);
  next.zone = validateZone(next.zone);
  next.days = validateDays(next.days);
  next.dontReplyTo = validateDontReplyTo(next.dontReplyTo);
  if (next.subject !== undefined) {
    const s = validateSubject(next.subject);
    if (s === '') delete next.subject;
    else next.subject = s;
  }
  if (next.startsAt !== undefined) next.startsAt = validateInstant(next.startsAt, 'start date');
  if (next.endsAt !== undefined) next.endsAt = validateInstant(next.endsAt, 'end date');
  if (next.startsAt !== undefined && next.endsAt !== undefined && next.endsAt <= next.startsAt)
    throw invalid('The end date must come after the start date');
  if (next.recurrentDays !== undefined) next.recurrentDays = validateWeekdays(next.recurrentDays);
  if (next.replyFrom !== undefined) {
    const from = normaliseAddress(next.replyFrom);
    if (!ownAddresses.includes(from))
      throw new MailError(
        'INVALID_ADDRESS',
        `${next.replyFrom} is not one of this address's own addresses (the address or an alias)`,
      );
    next.replyFrom = from;
  }
  return next;
}

/** Whether the auto-reply would answer at `now`: the same test the generated script makes. */
export function isInEffect(r: AutoReply, now: number): boolean {
  if (!r.isActive) return false;
  if (r.startsAt !== undefined && now < r.startsAt) return false;
  if (r.endsAt !== undefined && now >= r.endsAt) return false;
  if (r.recurrentDays !== undefined) {
    const offset = zoneMinutes(r.zone);
    const day = WEEKDAYS[new Date(now + offset * 60_000).getUTCDay()]!;
    if (!r.recurrentDays.includes(day)) return false;
  }
  return true;
}

export function zoneMinutes(zone: string): number {
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
}
