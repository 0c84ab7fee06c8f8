// `mailstead admin autoreply …`: an address's auto-replies ("Répondeur") and the service's
// auto-reply templates from the shell. The administrator acts here, on the same domain functions a
// user's settings page will call.
import { readFileSync } from 'node:fs';
import type { Core } from '../core/context.js';
import { findLoginAddress } from '../core/directory/accounts.js';
import { MailError } from '../core/errors.js';
import {
  activateAutoReply,
  addAutoReplyTemplate,
  applyAutoReplyTemplate,
  autoReplyScripts,
  deactivateAutoReply,
  isInEffect,
  listAutoReplies,
  listAutoReplyTemplates,
  removeAutoReply,
  removeAutoReplyTemplate,
  resetAutoReplyCounts,
  setAutoReply,
  validateZone,
  zoneMinutes,
  type AutoReply,
  type AutoReplyInput,
  type AutoReplyTemplate,
  type Weekday,
} from '../core/autoreply/index.js';
import { normaliseDomain } from '../wire/address.js';
import { parseArgs, UsageError, type ParsedArgs } from './args.js';

export const AUTOREPLY_USAGE = `usage: mailstead admin autoreply <command> ... --config FILE

  autoreply list ADDRESS
  autoreply set ADDRESS --message TEXT | --message-file FILE [--name NAME] [--subject S]
                [--from ADDR] [--start DATE] [--end DATE] [--weekdays mon,tue,...] [--zone +hhmm]
                [--exempt a@x,b@y] [--days N]
      creates (or updates the one named NAME, default "Auto-reply") and activates it.
      DATE is ISO 8601; a bare YYYY-MM-DD is midnight at --zone (default +0000), and an --end
      date includes that whole day. --days: one reply per sender per N days (default 1, max 60).
  autoreply activate ADDRESS NAME | autoreply remove ADDRESS NAME
  autoreply off ADDRESS               turn the auto-reply off (saved ones are kept)
  autoreply reset ADDRESS             every sender gets the next reply again
  autoreply show-sieve ADDRESS        the Sieve script delivery runs for the active one
  autoreply template list DOMAIN
  autoreply template add DOMAIN NAME --message TEXT [same options as set, without --from]
                [--hidden] [--apply]  --apply copies it into every address and activates it
  autoreply template apply DOMAIN NAME | autoreply template remove DOMAIN NAME`;

type Out = (line: string) => void;

const FIELD_OPTIONS = [
  'message',
  'message-file',
  'subject',
  'start',
  'end',
  'weekdays',
  'zone',
  'exempt',
  'days',
];

async function addressIdOf(core: Core, address: string | undefined): Promise<number> {
  if (address === undefined) throw new UsageError('missing ADDRESS');
  const found = await findLoginAddress(core, address);
  if (!found) throw new MailError('NOT_FOUND', `no such mailbox address: ${address}`);
  return found.record.id;
}

async function serviceIdOf(core: Core, domain: string | undefined): Promise<number> {
  if (domain === undefined) throw new UsageError('missing DOMAIN');
  const name = normaliseDomain(domain);
  const d = name ? await core.store.directory.findDomain(name) : undefined;
  if (!d) throw new MailError('DOMAIN_NOT_FOUND', `unknown domain: ${domain}`);
  return d.serviceId;
}

function need(p: readonly string[], i: number, what: string): string {
  const v = p[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  if (p.length > i + 1) throw new UsageError(`unexpected argument: ${p[i + 1]}`);
  return v;
}

/** An ISO 8601 instant; a bare date is midnight at `zone`, or the midnight after it when `endOfDay`. */
export function parseDate(text: string, zone: string, endOfDay: boolean): number {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    // Date.UTC rolls 2025-02-31 over to March: refuse it instead.
    const check = new Date(Date.UTC(y, m - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d)
      throw new UsageError(`not a date: ${text}`);
    const ms = Date.UTC(y, m - 1, d + (endOfDay ? 1 : 0));
    return ms - zoneMinutes(zone) * 60_000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text))
    throw new UsageError(`not an ISO 8601 date: ${text}`);
  // Without an offset, the time is read at --zone, never at the server's local time.
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(zoned);
  if (Number.isNaN(ms)) throw new UsageError(`not an ISO 8601 date: ${text}`);
  return ms;
}

function list(v: string | undefined): string[] | undefined {
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

function fieldsOf(a: ParsedArgs): AutoReplyInput {
  const o = a.options;
  const zone = o.has('zone') ? validateZone(o.get('zone')!) : undefined;
  const input: AutoReplyInput = {};
  if (o.has('message') && o.has('message-file')) throw new UsageError('give --message or --message-file');
  const message = o.has('message-file') ? readFileSync(o.get('message-file')!, 'utf8') : o.get('message');
  if (message !== undefined) input.message = message;
  if (o.has('subject')) input.subject = o.get('subject')!;
  if (zone !== undefined) input.zone = zone;
  if (o.has('start')) input.startsAt = parseDate(o.get('start')!, zone ?? '+0000', false);
  if (o.has('end')) input.endsAt = parseDate(o.get('end')!, zone ?? '+0000', true);
  const weekdays = list(o.get('weekdays'));
  if (weekdays !== undefined) input.recurrentDays = weekdays as Weekday[];
  const exempt = list(o.get('exempt'));
  if (exempt !== undefined) input.dontReplyTo = exempt;
  const days = o.get('days');
  if (days !== undefined) {
    if (!/^\d+$/.test(days)) throw new UsageError(`not a number of days: ${days}`);
    input.days = Number(days);
  }
  if (o.has('name')) input.name = o.get('name')!;
  return input;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describe(r: AutoReply | AutoReplyTemplate, now: number): string {
  const cols: string[] = [];
  if ('isActive' in r)
    cols.push(r.isActive ? (isInEffect(r, now) ? 'active' : 'active (not now)') : 'inactive');
  else cols.push(r.visible ? 'visible' : 'hidden');
  cols.push(`days=${r.days}`);
  if ('replyFrom' in r && r.replyFrom) cols.push(`from=${r.replyFrom}`);
  if (r.subject !== undefined) cols.push(`subject=${JSON.stringify(r.subject)}`);
  if (r.startsAt !== undefined) cols.push(`start=${iso(r.startsAt)}`);
  if (r.endsAt !== undefined) cols.push(`end=${iso(r.endsAt)}`);
  if (r.recurrentDays) cols.push(`weekdays=${r.recurrentDays.join(',')}`, `zone=${r.zone}`);
  if (r.dontReplyTo.length) cols.push(`exempt=${r.dontReplyTo.join(',')}`);
  const first = r.message.split('\n')[0] ?? '';
  return `${r.name}\t[${r.id}]\t${cols.join('\t')}\n  ${JSON.stringify(first.length > 72 ? `${first.slice(0, 71)}…` : first)}`;
}

export async function autoreplyCommand(core: Core, argv: string[], out: Out): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === 'template') return templateCommand(core, rest, out);
  switch (verb) {
    case 'list': {
      const a = parseArgs(rest, []);
      const id = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const replies = await listAutoReplies(core, id);
      if (replies.length === 0) out('no auto-reply');
      for (const r of replies) out(describe(r, core.now()));
      return;
    }
    case 'set': {
      const a = parseArgs(rest, [...FIELD_OPTIONS, 'name', 'from']);
      const address = need(a.positionals, 0, 'ADDRESS');
      const id = await addressIdOf(core, address);
      const input = fieldsOf(a);
      if (input.message === undefined) throw new UsageError('--message (or --message-file) is required');
      if (a.options.has('from')) input.replyFrom = a.options.get('from')!;
      const r = await setAutoReply(core, id, { ...input, message: input.message });
      out(
        `auto-reply "${r.name}" of ${address} is active${isInEffect(r, core.now()) ? '' : ' (not in effect now)'}`,
      );
      return;
    }
    case 'activate':
    case 'remove': {
      const a = parseArgs(rest, []);
      const address = a.positionals[0];
      const id = await addressIdOf(core, address);
      const name = need(a.positionals, 1, 'NAME');
      if (verb === 'activate') {
        const r = await activateAutoReply(core, id, name);
        out(`auto-reply "${r.name}" of ${address} is active`);
      } else {
        await removeAutoReply(core, id, name);
        out(`auto-reply "${name}" of ${address} removed`);
      }
      return;
    }
    case 'off': {
      const a = parseArgs(rest, []);
      const address = need(a.positionals, 0, 'ADDRESS');
      const was = await deactivateAutoReply(core, await addressIdOf(core, address));
      out(was ? `auto-reply of ${address} turned off` : `${address} had no active auto-reply`);
      return;
    }
    case 'reset': {
      const a = parseArgs(rest, []);
      const address = need(a.positionals, 0, 'ADDRESS');
      await resetAutoReplyCounts(core, await addressIdOf(core, address));
      out(`auto-reply counts of ${address} reset: every sender gets the next reply`);
      return;
    }
    case 'show-sieve': {
      const a = parseArgs(rest, []);
      const id = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const [script] = await autoReplyScripts(core, { addressId: id });
      if (!script) throw new MailError('NOT_FOUND', 'no active auto-reply');
      for (const l of script.source.replace(/\n$/, '').split('\n')) out(l);
      return;
    }
    default:
      throw new UsageError(verb ? `unknown autoreply command: ${verb}` : 'missing autoreply command');
  }
}

async function templateCommand(core: Core, argv: string[], out: Out): Promise<void> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'list': {
      const a = parseArgs(rest, []);
      const list = await listAutoReplyTemplates(
        core,
        await serviceIdOf(core, need(a.positionals, 0, 'DOMAIN')),
      );
      if (list.length === 0) out('no auto-reply template');
      for (const t of list) out(describe(t, core.now()));
      return;
    }
    case 'add': {
      const a = parseArgs(rest, FIELD_OPTIONS, ['hidden', 'apply']);
      const serviceId = await serviceIdOf(core, a.positionals[0]);
      const name = need(a.positionals, 1, 'NAME');
      const input = fieldsOf(a);
      if (input.message === undefined) throw new UsageError('--message (or --message-file) is required');
      const t = await addAutoReplyTemplate(core, serviceId, {
        ...input,
        name,
        message: input.message,
        visible: !a.flags.has('hidden'),
      });
      out(`auto-reply template "${t.name}" added`);
      if (a.flags.has('apply')) report(await applyAutoReplyTemplate(core, serviceId, t.id), out);
      return;
    }
    case 'apply':
    case 'remove': {
      const a = parseArgs(rest, []);
      const serviceId = await serviceIdOf(core, a.positionals[0]);
      const name = need(a.positionals, 1, 'NAME');
      if (verb === 'apply') report(await applyAutoReplyTemplate(core, serviceId, name), out);
      else {
        await removeAutoReplyTemplate(core, serviceId, name);
        out(`auto-reply template "${name}" removed`);
      }
      return;
    }
    default:
      throw new UsageError(verb ? `unknown autoreply template command: ${verb}` : 'missing template command');
  }
}

function report(r: { applied: string[]; failed: { address: string; reason: string }[] }, out: Out): void {
  out(`applied to ${r.applied.length} address(es)${r.applied.length ? `: ${r.applied.join(', ')}` : ''}`);
  for (const f of r.failed) out(`not applied to ${f.address}: ${f.reason}`);
  if (r.failed.length > 0)
    throw new MailError(
      'INVALID_ARGUMENT',
      `the template could not be applied to ${r.failed.length} address(es)`,
    );
}
