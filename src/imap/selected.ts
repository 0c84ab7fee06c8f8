// A selected mailbox as one session sees it: the sequence map, the changes not yet announced, and how
// they are announced (RFC 9051 §7.5.1: no EXPUNGE while a command that uses sequence numbers runs;
// RFC 7162 §3.2.10: VANISHED instead of EXPUNGE once QRESYNC is enabled).
import type { Core } from '../core/context.js';
import type { MailboxRecord, MessageRecord } from '../store/ports.js';
import { loadMessages } from '../core/mailbox/messages.js';
import { claimRecent, recentMarker } from '../core/mailbox/recent.js';
import { mailboxKeywords } from '../core/mailbox/keywords.js';
import { SeqMap } from './seq-map.js';
import { dropFromContexts, refreshContexts, type SearchContext } from './search-context.js';
import { formatSequenceSet } from './proto/sequence.js';
import { flagList } from './proto/response.js';

export interface SyncOutput {
  send(line: string): void;
  condstore: boolean;
  qresync: boolean;
  /** IMAP4rev2 is on: no \Recent, no RECENT responses (RFC 9051 Appendix E). */
  rev2: boolean;
}

const PERMANENT = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

export class SelectedMailbox {
  readonly map: SeqMap;
  /** UIDs expunged elsewhere but still announced as existing to this client. */
  readonly pendingExpunge = new Set<number>();
  /** Keywords this client has been told about in FLAGS. */
  readonly keywords = new Set<string>();
  /** Modseqs of flag changes this session made and already reported. */
  private readonly ownModseqs = new Set<number>();
  private readonly pendingFlags = new Set<number>();
  private pendingAppend = false;
  /** The feed had something for this mailbox since `box` was read: read it again at the next flush. */
  private boxStale = false;
  /** Result of the last SEARCH ... RETURN (SAVE) (RFC 5182), as UIDs. */
  saved: number[] = [];
  /** Searches kept up to date (CONTEXT=SEARCH / CONTEXT=SORT, RFC 5267 §4). */
  readonly contexts: SearchContext[] = [];
  gone = false;
  /** UID ranges (lo, hi] that are \Recent in this session (RFC 3501 §2.3.2). */
  private readonly recentRanges: Array<[number, number]> = [];
  /** The RECENT count this client was last told. */
  announcedRecent = 0;

  constructor(
    private readonly core: Core,
    public box: MailboxRecord,
    readonly readOnly: boolean,
    uids: number[],
    private lastChangeId: number,
    /** IMAP4rev2 session: \Recent does not exist there (RFC 9051 Appendix E), so none is claimed. */
    private readonly rev2 = false,
  ) {
    this.map = new SeqMap(uids);
  }

  /**
   * `feedPosition`: the change feed's position taken before `box` was read (then `box` is not read
   * again); anything after it is replayed, duplicates are ignored.
   */
  static async open(
    core: Core,
    box: MailboxRecord,
    readOnly: boolean,
    rev2 = false,
    feedPosition?: number,
  ): Promise<SelectedMailbox> {
    const lastChangeId = feedPosition ?? (await core.store.mail.latestChangeId());
    const fresh = feedPosition !== undefined ? box : ((await core.store.mail.getMailboxById(box.id)) ?? box);
    const uids = await core.store.mail.listUids(box.id);
    const sel = new SelectedMailbox(core, fresh, readOnly, uids, lastChangeId, rev2);
    for (const k of await mailboxKeywords(core, box.id)) sel.keywords.add(k);
    await sel.takeRecent();
    return sel;
  }

  /** Claims (or, read-only, just looks at) the messages no session has seen yet. */
  private async takeRecent(): Promise<void> {
    const max = this.map.maxUid;
    // A rev2 session leaves the messages recent for a rev1 session that opens the folder later.
    if (max === 0 || this.rev2) return;
    const prev = this.readOnly
      ? await recentMarker(this.core, this.box.id)
      : await claimRecent(this.core, this.box.id, max);
    const lo = Math.max(prev, this.recentRanges.at(-1)?.[1] ?? 0);
    if (lo < max) this.recentRanges.push([lo, max]);
  }

  isRecent(uid: number): boolean {
    for (const [lo, hi] of this.recentRanges) if (uid > lo && uid <= hi) return true;
    return false;
  }

  /** Recent messages still in the mailbox, as UID ranges for a search. */
  recentUidRanges(): Array<[number, number]> {
    return this.recentRanges.map(([lo, hi]) => [lo + 1, hi]);
  }

  get recentCount(): number {
    let n = 0;
    for (const [lo, hi] of this.recentRanges) n += this.map.lowerBound(hi + 1) - this.map.lowerBound(lo + 1);
    return n;
  }

  /** The flags as this session shows them: \Recent added for rev1 (RFC 3501 §2.3.2). */
  flagsOf(m: MessageRecord, out: SyncOutput): string[] {
    return !out.rev2 && this.isRecent(m.uid) ? ['\\Recent', ...m.flags] : m.flags;
  }

  flagsLine(): string {
    return `* FLAGS ${flagList([...PERMANENT, ...this.keywords])}`;
  }

  permanentFlagsCode(): string {
    return this.readOnly
      ? 'PERMANENTFLAGS ()'
      : `PERMANENTFLAGS ${flagList([...PERMANENT, ...this.keywords, '\\*'])}`;
  }

  /** Notes flags sent by this session so the change feed does not echo them back. */
  noteOwnChange(modseq: number): void {
    this.ownModseqs.add(modseq);
  }

  /** Keywords not yet announced: announce them with FLAGS first (RFC 9051 §7.3.5). */
  learnKeywords(flags: readonly string[], out: SyncOutput): void {
    let added = false;
    for (const f of flags) {
      if (!f.startsWith('\\') && !this.keywords.has(f)) {
        this.keywords.add(f);
        added = true;
      }
    }
    if (added) out.send(this.flagsLine());
  }

  /** Reads the change feed and folds it into what is pending. */
  async poll(): Promise<void> {
    for (;;) {
      const changes = await this.core.store.mail.changesSince(
        this.lastChangeId,
        { addressId: this.box.addressId },
        1000,
      );
      for (const ch of changes) {
        this.lastChangeId = ch.id;
        if (ch.mailboxId !== this.box.id) continue;
        // Every change to the mailbox row (UIDNEXT, HIGHESTMODSEQ, name) comes with a feed entry.
        this.boxStale = true;
        switch (ch.kind) {
          case 'append':
            this.pendingAppend = true;
            break;
          case 'expunge':
            if (ch.uid !== null && this.map.seqOf(ch.uid) > 0) this.pendingExpunge.add(ch.uid);
            break;
          case 'flags':
            if (ch.uid !== null && !(ch.modseq !== null && this.ownModseqs.delete(ch.modseq)))
              this.pendingFlags.add(ch.uid);
            break;
          case 'mailbox-delete':
            this.gone = true;
            break;
          default:
            break;
        }
      }
      if (changes.length < 1000) break;
    }
    if (this.ownModseqs.size > 10000) this.ownModseqs.clear();
  }

  /** Sends what is pending. Expunges only when `allowExpunge` (RFC 9051 §7.5.1). */
  async flush(out: SyncOutput, allowExpunge: boolean): Promise<void> {
    if (allowExpunge && this.pendingExpunge.size > 0) {
      const uids = [...this.pendingExpunge].sort((a, b) => a - b);
      this.pendingExpunge.clear();
      dropFromContexts(this.contexts, this.map, new Set(uids), (l) => out.send(l));
      if (out.qresync) {
        for (const u of uids) this.map.remove(u);
        out.send(`* VANISHED ${formatSequenceSet(uids)}`);
      } else {
        // Highest sequence number first, so every number sent is still valid when it arrives.
        for (const u of uids.reverse()) {
          const seq = this.map.remove(u);
          if (seq > 0) out.send(`* ${seq} EXPUNGE`);
        }
      }
    }
    if (this.pendingFlags.size > 0 || this.pendingAppend) {
      // Keywords another session defined: every session lists the folder's keywords (FLAGS).
      this.learnKeywords(await mailboxKeywords(this.core, this.box.id), out);
    }
    if (this.pendingFlags.size > 0) {
      const uids = [...this.pendingFlags].filter((u) => this.map.seqOf(u) > 0 && !this.pendingExpunge.has(u));
      this.pendingFlags.clear();
      const rows = await loadMessages(this.core, this.box.id, uids);
      for (const m of rows) this.sendFlags(m, out, true);
    }
    if (this.pendingAppend) {
      this.pendingAppend = false;
      const before = this.map.size;
      for (;;) {
        const rows = await this.core.store.mail.listMessages(this.box.id, {
          fromUid: this.map.maxUid + 1,
          limit: 5000,
        });
        for (const r of rows) {
          this.learnKeywords(r.flags, out);
          this.map.push(r.uid);
        }
        if (rows.length < 5000) break;
      }
      if (this.map.size !== before) {
        await this.takeRecent();
        out.send(`* ${this.map.size} EXISTS`);
        if (!out.rev2) {
          this.announcedRecent = this.recentCount;
          out.send(`* ${this.announcedRecent} RECENT`);
        }
      }
    }
    // The count also falls when recent messages are expunged: say so, as Dovecot does, so the client's
    // count stays right (RFC 3501 §7.3.2).
    if (!out.rev2 && this.recentCount !== this.announcedRecent) {
      this.announcedRecent = this.recentCount;
      out.send(`* ${this.announcedRecent} RECENT`);
    }
    if (this.boxStale) {
      this.boxStale = false;
      const fresh = await this.core.store.mail.getMailboxById(this.box.id);
      if (fresh) this.box = fresh;
    }
  }

  /** Re-runs the kept searches and reports what changed in their results. */
  async refreshContexts(out: SyncOutput): Promise<void> {
    if (this.contexts.length === 0) return;
    await refreshContexts(
      this.core,
      this.box.id,
      this.contexts,
      this.map,
      (u) => this.map.seqOf(u) > 0 && !this.pendingExpunge.has(u),
      (l) => out.send(l),
    );
  }

  sendFlags(m: MessageRecord, out: SyncOutput, withUid: boolean): void {
    const seq = this.map.seqOf(m.uid);
    if (seq === 0) return;
    this.learnKeywords(m.flags, out);
    const parts = [];
    // With QRESYNC every FETCH names its UID, so a client can apply it without a sequence map (RFC 7162 §3.2.4).
    if (withUid || out.qresync) parts.push(`UID ${m.uid}`);
    parts.push(`FLAGS ${flagList(this.flagsOf(m, out))}`);
    if (out.condstore) parts.push(`MODSEQ (${m.modseq})`);
    out.send(`* ${seq} FETCH (${parts.join(' ')})`);
  }

  /** Drops UIDs this session expunged itself (the feed will report them again; they are ignored). */
  forget(uid: number): number {
    this.pendingExpunge.delete(uid);
    this.pendingFlags.delete(uid);
    return this.map.remove(uid);
  }
}
