// The active auto-reply as a Sieve script (RFC 5230 vacation + RFC 5260 date), run at delivery
// before the address's own script. The engine and the delivery host already refuse what RFC 3834
// and the product rule out (null sender, Auto-Submitted, lists, bulk, mailer-daemon, catch-all,
// spam, a foreign :from); the script adds the auto-reply's own conditions.
//
// The vacation `:handle` names the auto-reply and its reset generation: the engine keys its
// "already replied to this sender" memory on it, so a reset (a new generation) starts every
// sender's count afresh, and editing the text of the same auto-reply does not.
import { sieveList, sieveString } from '../rules/sieve-text.js';
import { WEEKDAYS, type AutoReply } from './model.js';

/** ISO 8601 in UTC to the second, as Sieve's currentdate "iso8601" prints it at zone +0000. */
function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function autoReplyHandle(r: AutoReply, generation: number): string {
  return `mailstead-autoreply-${r.id}-${generation}`;
}

export function generateAutoReplyScript(r: AutoReply, generation: number): string {
  const needs = new Set(['vacation']);
  const tests: string[] = [];
  if (r.startsAt !== undefined || r.endsAt !== undefined) {
    needs.add('date').add('relational');
    // Same zone and format on both sides, so the i;octet order is the time order.
    if (r.startsAt !== undefined)
      tests.push(
        `currentdate :zone "+0000" :value "ge" :comparator "i;octet" "iso8601" ${sieveString(isoUtc(r.startsAt))}`,
      );
    if (r.endsAt !== undefined)
      tests.push(
        `currentdate :zone "+0000" :value "lt" :comparator "i;octet" "iso8601" ${sieveString(isoUtc(r.endsAt))}`,
      );
  }
  if (r.recurrentDays !== undefined) {
    needs.add('date');
    const days = r.recurrentDays.map((d) => String(WEEKDAYS.indexOf(d)));
    tests.push(`currentdate :zone ${sieveString(r.zone)} :is "weekday" ${sieveList(days)}`);
  }
  if (r.dontReplyTo.length > 0) {
    needs.add('envelope');
    // The reply goes to the envelope sender; the user knows the From. Either one exempts.
    tests.push(`not address :all :is "from" ${sieveList(r.dontReplyTo)}`);
    tests.push(`not envelope :all :is "from" ${sieveList(r.dontReplyTo)}`);
  }

  const tags = [`:days ${r.days}`, `:handle ${sieveString(autoReplyHandle(r, generation))}`];
  if (r.replyFrom !== undefined) tags.push(`:from ${sieveString(r.replyFrom)}`);
  if (r.subject !== undefined) tags.push(`:subject ${sieveString(r.subject)}`);
  // The message is one quoted string (line breaks allowed, RFC 5228 §2.4.2): nothing may re-indent it.
  const vacation = `vacation ${tags.join(' ')} ${sieveString(r.message)};`;

  const lines = [
    `# Mailstead auto-reply ${JSON.stringify(r.name)}, generated: change it in the auto-reply settings.`,
  ];
  if (r.recurrentDays !== undefined)
    lines.push(`# On ${r.recurrentDays.join(', ')} (weekday 0 = Sunday), at UTC offset ${r.zone}.`);
  lines.push(`require ${sieveList([...needs])};`);
  if (tests.length === 0) lines.push(vacation);
  else if (tests.length === 1) lines.push(`if ${tests[0]!} {`, `  ${vacation}`, '}');
  else lines.push(`if allof (`, tests.map((t) => `  ${t}`).join(',\n'), `) {`, `  ${vacation}`, '}');
  return `${lines.join('\n')}\n`;
}
