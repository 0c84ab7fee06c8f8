// Mail log events appended outside a transaction are written in batches: every delivery logs two or
// three events, and one transaction (with its commit fsync) each cost more than storing the message.
// Events wait at most DELAY_MS (or until MAX_PENDING pile up), then go in one transaction. A crash
// in that window loses those log lines, never mail. Readers in this process flush first, so they
// see everything appended before them; the store flushes on close.
import type { MailLogEvent } from '../ports.js';

const DELAY_MS = 20;
const MAX_PENDING = 500;

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class MailLogBuffer {
  #pending: MailLogEvent[] = [];
  #waiters: Waiter[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing: Promise<void> | undefined;

  constructor(private readonly write: (events: MailLogEvent[]) => Promise<void>) {}

  /** Queues the events; resolves once the batch holding them is committed. */
  add(events: MailLogEvent[]): Promise<void> {
    for (const e of events) this.#pending.push(e);
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (this.#pending.length >= MAX_PENDING) void this.flush().catch(() => undefined);
    else this.#schedule();
    return done;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#writing !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // A failed batch is reported to its appenders; nothing else to do here.
      this.flush().catch(() => undefined);
    }, DELAY_MS);
  }

  /** Writes everything queued so far; resolves once it is committed. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // One batch at a time, in order.
    while (this.#writing !== undefined) await this.#writing.catch(() => undefined);
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    const waiters = this.#waiters;
    this.#pending = [];
    this.#waiters = [];
    const writing = this.write(batch).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (e: unknown) => {
        for (const w of waiters) w.reject(e);
        throw e;
      },
    );
    this.#writing = writing;
    try {
      await writing;
    } finally {
      this.#writing = undefined;
      if (this.#pending.length > 0) this.#schedule();
    }
  }
}
