/** date and currentdate (RFC 5260). */
import type { Extension } from '../extension.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { applyIndex } from '../runtime/sources.js';
import { INDEX_TAGS, MATCH_TAGS } from './tags.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const PARTS = [
  'year',
  'month',
  'day',
  'date',
  'julian',
  'hour',
  'minute',
  'second',
  'time',
  'iso8601',
  'std11',
  'zone',
  'weekday',
];

const ZONES: Record<string, number> = {
  ut: 0,
  gmt: 0,
  z: 0,
  est: -300,
  edt: -240,
  cst: -360,
  cdt: -300,
  mst: -420,
  mdt: -360,
  pst: -480,
  pdt: -420,
};

/** A point in time plus the zone offset (minutes) it should be shown in. */
export interface ZonedDate {
  readonly ms: number;
  readonly offset: number;
}

/** Parse an RFC 2822 date-time (lenient about whitespace, comments and 2-digit years). */
export function parseRfc2822Date(s: string): ZonedDate | null {
  const v = s.replace(/\([^)]*\)/g, ' ').trim();
  const m =
    /^(?:[A-Za-z]{3},?\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([+-]\d{4}|[A-Za-z]{1,3})?\s*$/.exec(
      v,
    );
  if (!m) return null;
  const mon = MONTHS.indexOf(m[2]!.toLowerCase());
  if (mon < 0) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 50 ? 2000 : 1900;
  else if (m[3]!.length === 3) year += 1900;
  const day = Number(m[1]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const sec = m[6] ? Number(m[6]) : 0;
  if (day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60) return null;
  let offset = 0;
  const z = m[7];
  if (z && /^[+-]\d{4}$/.test(z)) {
    const hh = Number(z.slice(1, 3));
    const mm = Number(z.slice(3, 5));
    if (mm > 59) return null;
    offset = (z[0] === '-' ? -1 : 1) * (hh * 60 + mm);
  } else if (z) offset = ZONES[z.toLowerCase()] ?? 0;
  const ms = Date.UTC(year, mon, day, h, mi, sec) - offset * 60000;
  return { ms, offset };
}

/** Parse a ":zone" argument ("+hhmm"/"-hhmm"); null when invalid. */
export function parseZone(z: string): number | null {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(z);
  if (!m || Number(m[3]) > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function zoneString(offset: number, colon = false): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return `${sign}${pad(Math.floor(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

export function datePart(d: ZonedDate, part: string): string | null {
  const local = new Date(d.ms + d.offset * 60000);
  const Y = local.getUTCFullYear();
  const M = local.getUTCMonth() + 1;
  const D = local.getUTCDate();
  const h = local.getUTCHours();
  const mi = local.getUTCMinutes();
  const s = local.getUTCSeconds();
  switch (part) {
    case 'year':
      return pad(Y, 4);
    case 'month':
      return pad(M);
    case 'day':
      return pad(D);
    case 'date':
      return `${pad(Y, 4)}-${pad(M)}-${pad(D)}`;
    case 'julian':
      return String(Math.floor(Date.UTC(Y, M - 1, D) / 86400000 + 40587));
    case 'hour':
      return pad(h);
    case 'minute':
      return pad(mi);
    case 'second':
      return pad(s);
    case 'time':
      return `${pad(h)}:${pad(mi)}:${pad(s)}`;
    case 'iso8601':
      return `${pad(Y, 4)}-${pad(M)}-${pad(D)}T${pad(h)}:${pad(mi)}:${pad(s)}${d.offset === 0 ? 'Z' : zoneString(d.offset, true)}`;
    case 'std11':
      return `${DAYS[local.getUTCDay()]}, ${pad(D)} ${MONTHS[M - 1]!.replace(/^./, (c) => c.toUpperCase())} ${pad(Y, 4)} ${pad(h)}:${pad(mi)}:${pad(s)} ${zoneString(d.offset)}`;
    case 'zone':
      return zoneString(d.offset);
    case 'weekday':
      return String(local.getUTCDay());
    default:
      return null;
  }
}

const ZONE_TAGS = [
  { name: 'zone', param: 'string' as const, group: 'zone' },
  { name: 'originalzone', group: 'zone' },
];

function checkPart(
  part: string | undefined,
  cc: { error(p: { line: number; column: number }, m: string): void },
  pos: { line: number; column: number },
): void {
  if (part !== undefined && !PARTS.includes(part.toLowerCase())) cc.error(pos, `invalid date part '${part}'`);
}

/** The local zone offset the host runs in (UTC unless configured). */
function localOffset(): number {
  return 0;
}

export const dateExtension: Extension = {
  capabilities: ['date'],
  commands: [
    {
      name: 'date',
      kind: 'test',
      tags: [...MATCH_TAGS, ...ZONE_TAGS, ...INDEX_TAGS],
      positional: ['string', 'string', 'strings'],
      validate(node, cc, pos) {
        checkPart(cc.literal(node.args[1]), cc, pos);
        const z = cc.literal(node.tags['zone']);
        if (z !== undefined && parseZone(z) === null)
          cc.warning(pos, `specified :zone argument '${z}' is not a valid timezone`);
        if (node.tags['last'] !== undefined && node.tags['index'] === undefined)
          cc.error(pos, 'the :last tag for the date test cannot be specified without the :index tag');
      },
      evaluate(rt, node) {
        const header = rt.expandOne(node.args[0]);
        const part = rt.expandOne(node.args[1]).toLowerCase();
        const keys = rt.expand(node.args[2]);
        const spec = matchSpec(rt, node);
        let zone: number | null = localOffset();
        if (node.tags['zone'] !== undefined) zone = parseZone(rt.expandOne(node.tags['zone']));
        if (zone === null) return false;
        const values: string[] = [];
        for (let v of applyIndex(node, rt.message.rawValues(header))) {
          // Received fields carry the date after the last semicolon.
          if (header.toLowerCase() === 'received') v = v.slice(v.lastIndexOf(';') + 1);
          const d = parseRfc2822Date(v);
          if (!d) continue;
          const shown = node.tags['originalzone'] !== undefined ? d : { ms: d.ms, offset: zone };
          const p = datePart(shown, part);
          if (p !== null) values.push(p);
        }
        if (spec.type !== 'count' && values.length === 0) return false;
        return matchValues(rt, spec, values, keys);
      },
    },
    {
      name: 'currentdate',
      kind: 'test',
      tags: [...MATCH_TAGS, ZONE_TAGS[0]!],
      positional: ['string', 'strings'],
      validate(node, cc, pos) {
        checkPart(cc.literal(node.args[0]), cc, pos);
      },
      *run(rt, node) {
        const part = rt.expandOne(node.args[0]).toLowerCase();
        const keys = rt.expand(node.args[1]);
        let zone: number | null = localOffset();
        if (node.tags['zone'] !== undefined) zone = parseZone(rt.expandOne(node.tags['zone']));
        if (zone === null) return false;
        let now = rt.state.get('currentdate') as Date | undefined;
        if (!now) {
          // Asked once per execution so every currentdate test sees the same instant.
          const answer = yield { type: 'current-date' };
          now = answer instanceof Date ? answer : new Date();
          rt.state.set('currentdate', now);
        }
        const p = datePart({ ms: now.getTime(), offset: zone }, part);
        if (p === null) return false;
        return matchValues(rt, matchSpec(rt, node), [p], keys);
      },
    },
  ],
};
