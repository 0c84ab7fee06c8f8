// NOTIFY arguments (RFC 5465 §5): NONE, or SET [STATUS] followed by event groups, each a mailbox filter
// and the events wanted for it.
import { ArgError, ArgReader } from './args.js';
import type { Token } from './tokens.js';

export const NOTIFY_EVENTS = [
  'MessageNew',
  'MessageExpunge',
  'FlagChange',
  'MailboxName',
  'SubscriptionChange',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Events we know of but do not support (no ANNOTATE, no METADATA): NO [BADEVENT]. */
const UNSUPPORTED = ['ANNOTATIONCHANGE', 'MAILBOXMETADATACHANGE', 'SERVERMETADATACHANGE'];

export type MailboxFilter =
  | { kind: 'selected' | 'selected-delayed' | 'inboxes' | 'personal' | 'subscribed' }
  | { kind: 'subtree' | 'mailboxes'; names: string[] };

export interface NotifyGroup {
  filter: MailboxFilter;
  events: NotifyEvent[];
  /** MessageNew's fetch attributes (selected mailbox only). */
  fetch: Token[] | null;
}

export type NotifyArgs = { kind: 'none' } | { kind: 'set'; status: boolean; groups: NotifyGroup[] };

export class BadEventError extends ArgError {}

function filter(r: ArgReader): MailboxFilter {
  const w = r.atom().toUpperCase();
  switch (w) {
    case 'SELECTED':
      return { kind: 'selected' };
    case 'SELECTED-DELAYED':
      return { kind: 'selected-delayed' };
    case 'INBOXES':
      return { kind: 'inboxes' };
    case 'PERSONAL':
      return { kind: 'personal' };
    case 'SUBSCRIBED':
      return { kind: 'subscribed' };
    case 'SUBTREE':
    case 'MAILBOXES': {
      const names: string[] = [];
      const list = r.optionalList();
      if (list) {
        const lr = new ArgReader(list, r.utf8);
        while (!lr.done) names.push(lr.mailbox());
      } else names.push(r.mailbox());
      if (names.length === 0) throw new ArgError('Empty mailbox list');
      return { kind: w === 'SUBTREE' ? 'subtree' : 'mailboxes', names };
    }
    default:
      throw new ArgError(`Unknown mailbox filter ${w.slice(0, 40)}`);
  }
}

export function parseNotify(tokens: readonly Token[], utf8: boolean): NotifyArgs {
  const r = new ArgReader(tokens, utf8);
  const w = r.atom().toUpperCase();
  if (w === 'NONE') {
    r.end();
    return { kind: 'none' };
  }
  if (w !== 'SET') throw new ArgError('NOTIFY takes SET or NONE');
  const status = r.optionalWord('STATUS');
  const groups: NotifyGroup[] = [];
  while (!r.done) {
    const g = new ArgReader(r.list(), utf8);
    const f = filter(g);
    const events: NotifyEvent[] = [];
    let fetch: Token[] | null = null;
    if (g.optionalWord('NONE')) {
      // An empty event list: nothing for these mailboxes (RFC 5465 §5).
    } else {
      const ev = new ArgReader(g.list(), utf8);
      while (!ev.done) {
        const name = ev.atom();
        const known = NOTIFY_EVENTS.find((e) => e.toUpperCase() === name.toUpperCase());
        if (!known) {
          if (UNSUPPORTED.includes(name.toUpperCase())) throw new BadEventError(`Unsupported event ${name}`);
          throw new ArgError(`Unknown event ${name.slice(0, 40)}`);
        }
        if (known === 'MessageNew') fetch = ev.optionalList();
        if (!events.includes(known)) events.push(known);
      }
      if (events.length === 0) throw new ArgError('Empty event list');
    }
    g.end();
    // Per-message events and fetch attributes need the mailbox open (RFC 5465 §5: only for SELECTED).
    if (fetch && f.kind !== 'selected' && f.kind !== 'selected-delayed')
      throw new ArgError('Fetch attributes only for the selected mailbox');
    groups.push({ filter: f, events, fetch });
  }
  if (groups.length === 0) throw new ArgError('NOTIFY SET needs an event group');
  return { kind: 'set', status, groups };
}
