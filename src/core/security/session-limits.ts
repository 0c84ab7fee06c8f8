// Simultaneous sessions per user (IMAP + POP3 + ManageSieve together), the one place every
// protocol asks after a successful login. Counted per server process: a user spread over several
// processes of a cluster gets the limit in each (documented in the example config).

export class SessionLimiter {
  private readonly open = new Map<number, number>();

  constructor(private readonly maxPerUser: number) {}

  /** Takes a slot for the address, or returns undefined when it has `maxPerUser` sessions already. */
  acquire(addressId: number): (() => void) | undefined {
    const n = this.open.get(addressId) ?? 0;
    if (n >= this.maxPerUser) return undefined;
    this.open.set(addressId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(addressId) ?? 1) - 1;
      if (left <= 0) this.open.delete(addressId);
      else this.open.set(addressId, left);
    };
  }

  count(addressId: number): number {
    return this.open.get(addressId) ?? 0;
  }
}
