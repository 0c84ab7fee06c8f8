// Wakes sessions waiting for mail changes: in-process notices from core.events, and one shared poll
// of the store's change feed for changes made by other processes (one query per interval for the whole
// server, however many sessions are idling).
import type { Core } from '../core/context.js';

export class ChangeWatcher {
  private readonly subs = new Map<number, Set<() => void>>();
  private timer: NodeJS.Timeout | null = null;
  private lastId = -1;
  private polling = false;
  private readonly offEvents: () => void;

  constructor(
    private readonly core: Core,
    private readonly intervalMs: number,
  ) {
    this.offEvents = core.events.onMailChanged((addressId) => this.notify(addressId));
  }

  subscribe(addressId: number, fn: () => void): () => void {
    let set = this.subs.get(addressId);
    if (!set) this.subs.set(addressId, (set = new Set()));
    set.add(fn);
    this.ensureTimer();
    return () => {
      if (!set.delete(fn)) return;
      // Only this set: once emptied and dropped, a later subscriber of the address has a new one.
      if (set.size === 0 && this.subs.get(addressId) === set) this.subs.delete(addressId);
      if (this.subs.size === 0) this.stopTimer();
    };
  }

  close(): void {
    this.offEvents();
    this.stopTimer();
    this.subs.clear();
  }

  private notify(addressId: number): void {
    const set = this.subs.get(addressId);
    if (!set) return;
    for (const fn of [...set]) fn();
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.lastId = -1;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if (this.lastId < 0) {
        this.lastId = await this.core.store.mail.latestChangeId();
        return;
      }
      const changes = await this.core.store.mail.changesSince(this.lastId, undefined, 1000);
      const touched = new Set<number>();
      for (const c of changes) {
        this.lastId = c.id;
        touched.add(c.addressId);
      }
      for (const a of touched) this.notify(a);
    } catch (e) {
      this.core.log.warn({ err: e }, 'imap: change feed poll failed');
    } finally {
      this.polling = false;
    }
  }
}
