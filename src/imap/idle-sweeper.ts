// One timer for the inactivity timeouts of every IMAP session of a listener, instead of a timer per
// socket (socket.setTimeout keeps a Timeout object and a bound function per connection and re-arms
// it on every read and write). Sessions note when they last saw traffic; the sweeper looks at all of
// them a few times per timeout period, so a timeout fires up to one tick late.

export interface Sweepable {
  /** Milliseconds since the epoch of the last byte in or out, or of the end of the last command. */
  readonly lastActive: number;
  /** Inactivity allowed in the session's current state; 0 or less: never times out now. */
  timeoutMs(): number;
  /** Called once the timeout has passed. */
  onIdleTimeout(): void;
}

export class IdleSweeper {
  private readonly sessions = new Set<Sweepable>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly tickMs: number) {}

  add(s: Sweepable): void {
    this.sessions.add(s);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref();
    }
  }

  delete(s: Sweepable): void {
    this.sessions.delete(s);
    if (this.sessions.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions) {
      const limit = s.timeoutMs();
      if (limit > 0 && now - s.lastActive >= limit) {
        this.sessions.delete(s);
        s.onIdleTimeout();
      }
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sessions.clear();
  }
}

/** A tick of an eighth of the shortest timeout, between 100 ms and 15 s. */
export function sweepTickMs(...timeoutSeconds: number[]): number {
  const shortest = Math.min(...timeoutSeconds.filter((s) => s > 0), 120);
  return Math.min(15_000, Math.max(100, Math.floor((shortest * 1000) / 8)));
}
