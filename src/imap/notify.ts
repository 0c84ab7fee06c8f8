// NOTIFY (RFC 5465): after NOTIFY SET the session pushes changes as they happen, between commands and
// during IDLE — STATUS for other mailboxes, LIST for created, deleted, renamed and (un)subscribed ones,
// and the usual EXISTS / EXPUNGE / FETCH for the selected one. Changes are found by comparing snapshots
// taken when the events were asked for, whenever the account's change watcher fires.
import { folderStatus, listFolders } from '../core/mailbox/folders.js';
import type { MailboxRecord } from '../store/ports.js';
import type { MailboxFilter, NotifyArgs, NotifyEvent, NotifyGroup } from './proto/notify.js';
import type { Token } from './proto/tokens.js';
import type { SessionApi } from './session-api.js';
import { handleFetch } from './commands/fetch.js';

interface Snap {
  name: string;
  subscribed: boolean;
  messages: number;
  uidNext: number;
  uidValidity: number;
  highestModseq: number;
}

function covers(f: MailboxFilter, box: MailboxRecord): boolean {
  switch (f.kind) {
    case 'selected':
    case 'selected-delayed':
      return false;
    case 'inboxes':
      return box.name === 'INBOX';
    case 'personal':
      return true;
    case 'subscribed':
      return box.subscribed;
    case 'subtree':
      return f.names.some((n) => box.name === n || box.name.startsWith(`${n}/`));
    case 'mailboxes':
      return f.names.includes(box.name);
  }
}

/** STATUS items for the events of a group (RFC 5465 §5.1-5.3), in STATUS's usual order. */
export function statusItems(events: readonly NotifyEvent[]): string[] {
  const items: string[] = [];
  if (events.includes('MessageNew') || events.includes('MessageExpunge')) items.push('MESSAGES');
  if (events.includes('MessageNew')) items.push('UIDNEXT', 'UIDVALIDITY');
  if (events.includes('FlagChange')) {
    if (!items.includes('UIDVALIDITY')) items.push('UIDVALIDITY');
    items.push('HIGHESTMODSEQ');
  }
  return items;
}

export class Notifier {
  private groups: NotifyGroup[] = [];
  private snaps = new Map<number, Snap>();
  private off: (() => void) | null = null;
  private dirty = false;
  private running = false;

  constructor(
    private readonly s: SessionApi,
    /** Whether output may be sent now (no command is answering, or the client is in IDLE). */
    private readonly quiet: () => boolean,
  ) {}

  get active(): boolean {
    return this.groups.length > 0;
  }

  private groupFor(box: MailboxRecord): NotifyGroup | undefined {
    const selectedId = this.s.state.kind === 'selected' ? this.s.state.selected.box.id : -1;
    if (box.id === selectedId) return undefined;
    return this.groups.find((g) => covers(g.filter, box));
  }

  private selectedGroup(): NotifyGroup | undefined {
    return this.groups.find((g) => g.filter.kind === 'selected' || g.filter.kind === 'selected-delayed');
  }

  async set(args: NotifyArgs): Promise<void> {
    this.off?.();
    this.off = null;
    this.groups = args.kind === 'set' ? args.groups.filter((g) => g.events.length > 0) : [];
    this.snaps.clear();
    if (!this.active) return;
    await this.snapshot(args.kind === 'set' && args.status);
    this.off = this.s.watchChanges(() => this.changed());
  }

  stop(): void {
    this.off?.();
    this.off = null;
    this.groups = [];
  }

  /** The watcher fired: look now if we may speak, else once the current command is done. */
  changed(): void {
    this.dirty = true;
    if (this.quiet()) void this.run();
  }

  /** Called by the session when a command has finished. */
  afterCommand(): void {
    if (this.dirty && this.active) void this.run();
  }

  private async snapshot(sendStatus: boolean): Promise<void> {
    if (this.s.state.kind !== 'authenticated' && this.s.state.kind !== 'selected') return;
    for (const box of await listFolders(this.s.core, this.s.state.account.addressId)) {
      const st = await folderStatus(this.s.core, box);
      this.snaps.set(box.id, { name: box.name, subscribed: box.subscribed, ...st });
      const g = this.groupFor(box);
      if (sendStatus && g) this.sendStatus(box.name, st, statusItems(g.events));
    }
  }

  private sendStatus(name: string, st: Omit<Snap, 'name' | 'subscribed'>, items: string[]): void {
    if (items.length === 0) return;
    const v: Record<string, number> = {
      MESSAGES: st.messages,
      UIDNEXT: st.uidNext,
      UIDVALIDITY: st.uidValidity,
      HIGHESTMODSEQ: st.highestModseq,
    };
    this.s.send(`* STATUS ${this.s.mailboxName(name)} (${items.map((i) => `${i} ${v[i]}`).join(' ')})`);
  }

  private async run(): Promise<void> {
    if (this.running || !this.active) return;
    this.running = true;
    try {
      while (this.dirty) {
        this.dirty = false;
        await this.check();
        await this.s.flushOutput();
      }
    } catch (e) {
      this.s.core.log.warn({ err: e }, 'imap: notify failed');
    } finally {
      this.running = false;
    }
  }

  private async check(): Promise<void> {
    const s = this.s;
    if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected') return;
    const sel = this.selectedGroup();
    if (sel && s.state.kind === 'selected') {
      const selected = s.state.selected;
      const before = selected.map.maxUid;
      await s.syncSelected(sel.filter.kind === 'selected');
      if (sel.fetch && sel.events.includes('MessageNew') && selected.map.maxUid > before)
        await this.fetchNew(before + 1, selected.map.maxUid, sel.fetch);
    }
    const boxes = await listFolders(s.core, s.state.account.addressId);
    const seen = new Set<number>();
    for (const box of boxes) {
      seen.add(box.id);
      const old = this.snaps.get(box.id);
      const st = await folderStatus(s.core, box);
      const snap: Snap = { name: box.name, subscribed: box.subscribed, ...st };
      this.snaps.set(box.id, snap);
      if (s.state.kind === 'selected' && s.state.selected.box.id === box.id) continue;
      // A renamed folder is matched by its old name too, so a rename out of a watched subtree is told.
      const g = this.groupFor(box) ?? (old ? this.groupFor({ ...box, name: old.name }) : undefined);
      if (!g) continue;
      const name = s.mailboxName(box.name);
      if (!old) {
        if (g.events.includes('MailboxName')) s.send(`* LIST () "/" ${name}`);
        continue;
      }
      if (old.name !== box.name && g.events.includes('MailboxName'))
        s.send(`* LIST () "/" ${name} ("OLDNAME" (${s.mailboxName(old.name)}))`);
      if (old.subscribed !== box.subscribed && g.events.includes('SubscriptionChange'))
        s.send(`* LIST (${box.subscribed ? '\\Subscribed' : ''}) "/" ${name}`);
      const isNew = st.uidNext !== old.uidNext;
      const expunged = st.messages < old.messages + (st.uidNext - old.uidNext);
      const flags = st.highestModseq !== old.highestModseq && !isNew && !expunged;
      if (
        (isNew && g.events.includes('MessageNew')) ||
        (expunged && g.events.includes('MessageExpunge')) ||
        (flags && g.events.includes('FlagChange'))
      )
        this.sendStatus(box.name, st, statusItems(g.events));
    }
    for (const [id, old] of this.snaps) {
      if (seen.has(id)) continue;
      this.snaps.delete(id);
      if (this.groups.some((g) => g.events.includes('MailboxName') && g.filter.kind !== 'selected'))
        s.send(`* LIST (\\NonExistent) "/" ${s.mailboxName(old.name)}`);
    }
  }

  /** MessageNew's fetch attributes for the new messages of the selected mailbox (RFC 5465 §5.2). */
  private async fetchNew(from: number, to: number, atts: Token[]): Promise<void> {
    await handleFetch({
      session: this.s,
      tag: '*',
      name: 'FETCH',
      uid: true,
      args: [
        { kind: 'atom', value: `${from}:${to}` },
        { kind: 'list', items: atts },
      ],
    });
  }
}
