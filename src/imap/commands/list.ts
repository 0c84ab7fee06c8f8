// LIST and LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9) with LIST-EXTENDED (RFC 5258), CHILDREN (RFC 3348),
// SPECIAL-USE (RFC 6154) and LIST-STATUS (RFC 5819).
import { listFolders } from '../../core/mailbox/folders.js';
import { parentsOf } from '../../core/mailbox/names.js';
import { orphanSubscriptions } from '../../core/mailbox/subscriptions.js';
import type { MailboxRecord } from '../../store/ports.js';
import { listMatcher, parseList } from '../proto/list.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { statusLine } from './status-items.js';
import { rev2StatusProblem } from '../rev2.js';

interface Entry {
  name: string;
  box: MailboxRecord | null;
  /** Subscribed by name, whether or not the folder exists. */
  subscribed: boolean;
  hasChildren: boolean;
  /** Subscribed descendants (RECURSIVEMATCH, LSUB's \Noselect parents). */
  subscribedDescendants: string[];
}

export async function handleList(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const lsub = ctx.name === 'LSUB';
  const args = parseList(ctx.args, s.utf8);
  if (lsub && args.extended) return { status: 'BAD', text: 'LSUB takes a reference and a pattern' };
  const gone = s.rev2 ? rev2StatusProblem(args.returns.status) : null;
  if (gone) return gone;
  // LIST "" "" asks for the hierarchy separator (RFC 9051 §6.3.9).
  if (!args.extended && args.patterns.length === 1 && args.patterns[0] === '') {
    s.send(`* ${ctx.name} (\\Noselect) "/" ""`);
    return { status: 'OK', text: `${ctx.name} completed` };
  }
  const folders = await listFolders(s.core, s.state.account.addressId);
  const subscribedOnly = lsub || args.select.subscribed;
  const entries = new Map<string, Entry>();
  const blank = (name: string): Entry => ({
    name,
    box: null,
    subscribed: false,
    hasChildren: false,
    subscribedDescendants: [],
  });
  for (const f of folders) entries.set(f.name, { ...blank(f.name), box: f, subscribed: f.subscribed });
  if (subscribedOnly || args.returns.subscribed) {
    for (const n of await orphanSubscriptions(s.core, s.state.account.addressId)) {
      const e = entries.get(n) ?? blank(n);
      e.subscribed = true;
      entries.set(n, e);
    }
  }
  for (const f of [...entries.values()]) {
    for (const p of parentsOf(f.name)) {
      let e = entries.get(p);
      if (!e) entries.set(p, (e = blank(p)));
      if (f.box) e.hasChildren = true;
      if (f.subscribed) e.subscribedDescendants.push(f.name);
    }
  }
  const matchers = args.patterns.map((p) => listMatcher(args.reference, p));
  const sorted = [...entries.values()].sort((a, b) =>
    a.name === 'INBOX' ? -1 : b.name === 'INBOX' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const e of sorted) {
    if (!matchers.some((m) => m(e.name))) continue;
    const subscribed = e.subscribed;
    let childInfo = false;
    if (subscribedOnly && !subscribed) {
      // A parent of subscribed folders: LSUB shows it as \Noselect (RFC 3501 §6.3.9); RECURSIVEMATCH
      // gives CHILDINFO when a subscribed descendant is not listed itself (RFC 5258 §3.5).
      const hasSub = e.subscribedDescendants.length > 0;
      if (lsub && hasSub && args.patterns.every((p) => p.endsWith('%'))) {
        s.send(`* LSUB (\\Noselect) "/" ${s.mailboxName(e.name)}`);
      } else if (
        args.select.recursiveMatch &&
        e.subscribedDescendants.some((d) => !matchers.some((m) => m(d)))
      )
        childInfo = true;
      if (!childInfo) continue;
    } else if (!e.box && !subscribed && !e.hasChildren) continue;
    if (args.select.specialUse && !e.box?.specialUse) continue;
    const attrs: string[] = [];
    if (!e.box) attrs.push(args.extended || s.rev2 ? '\\NonExistent' : '\\Noselect');
    if (!lsub) attrs.push(e.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
    if (args.returns.subscribed && subscribed && !lsub) attrs.push('\\Subscribed');
    if (!lsub && e.box?.specialUse && (!args.extended || args.returns.specialUse || args.select.specialUse)) {
      attrs.push(e.box.specialUse);
    }
    const extra = childInfo ? ' ("CHILDINFO" ("SUBSCRIBED"))' : '';
    s.send(`* ${ctx.name} (${attrs.join(' ')}) "/" ${s.mailboxName(e.name)}${extra}`);
    if (args.returns.status && e.box && !childInfo) s.send(await statusLine(s, e.box, args.returns.status));
  }
  return { status: 'OK', text: `${ctx.name} completed` };
}
