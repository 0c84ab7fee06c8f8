// The maildrop of one TRANSACTION state (RFC 1939 §5): the messages as they were at login, numbered
// from 1, with the session's deletion marks. Nothing here touches the store; marks become real only in
// the UPDATE state (see commands/quit.ts).
import type { MaildropEntry, MaildropSnapshot } from '../core/mailbox/pop3-view.js';
import type { MailboxRecord } from '../store/ports.js';

export type Lookup = { ok: true; entry: MaildropEntry } | { ok: false; text: string };

export class Maildrop {
  private readonly deleted = new Set<number>();
  private deletedSize = 0;
  private readonly totalSize: number;
  /** UIDs sent with RETR: marked \Seen at QUIT so IMAP clients see them as read. */
  readonly retrieved = new Set<number>();

  constructor(private readonly snapshot: MaildropSnapshot) {
    this.totalSize = snapshot.entries.reduce((s, e) => s + e.size, 0);
  }

  get box(): MailboxRecord | undefined {
    return this.snapshot.box;
  }

  /** Highest message number (deleted ones included: numbers never shift, RFC 1939 §5). */
  get highest(): number {
    return this.snapshot.entries.length;
  }

  /** STAT: messages not marked deleted, and their octets. */
  stat(): { count: number; size: number } {
    return { count: this.highest - this.deleted.size, size: this.totalSize - this.deletedSize };
  }

  /** A message number the client may use: in range and not marked deleted (RFC 1939 §5). */
  lookup(n: number | undefined): Lookup {
    if (n === undefined) return { ok: false, text: 'Invalid message number' };
    const entry = n >= 1 ? this.snapshot.entries[n - 1] : undefined;
    if (!entry) return { ok: false, text: 'No such message' };
    if (this.deleted.has(n)) return { ok: false, text: `Message ${n} is deleted` };
    return { ok: true, entry };
  }

  isDeleted(n: number): boolean {
    return this.deleted.has(n);
  }

  entryAt(n: number): MaildropEntry | undefined {
    return this.snapshot.entries[n - 1];
  }

  /**
   * The unique-id listing (RFC 1939 §7 UIDL): UIDVALIDITY and UID together never repeat for this
   * mailbox, survive restarts, and match what IMAP shows.
   */
  uidl(entry: MaildropEntry): string {
    return `${this.snapshot.box?.uidValidity ?? 0}.${entry.uid}`;
  }

  markDeleted(n: number): void {
    const e = this.snapshot.entries[n - 1];
    if (!e || this.deleted.has(n)) return;
    this.deleted.add(n);
    this.deletedSize += e.size;
  }

  /** RSET: every mark is removed. */
  reset(): void {
    this.deleted.clear();
    this.deletedSize = 0;
  }

  deletedUids(): number[] {
    return [...this.deleted].sort((a, b) => a - b).map((n) => this.snapshot.entries[n - 1]!.uid);
  }
}
