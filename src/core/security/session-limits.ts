// Simultaneous sessions per user (IMAP + POP3 + ManageSieve together), the one place every
// protocol asks after a successful login. Counted per server process: a user spread over several
// processes of a cluster gets the limit in each (documented in the example config).

export class SessionLimiter {
  private readonly open = new Map<number, number>();

  constructor(private readonly maxPerUser: number) {}

  /**
   * Takes a slot for the address, false when it has `maxPerUser` sessions already. Each slot taken
   * must be given back once with `release` (the connection that holds it does so when it closes).
   */
  tryAcquire(addressId: number): boolean {
    const n = this.open.get(addressId) ?? 0;
    if (n >= this.maxPerUser) return false;
    this.open.set(addressId, n + 1);
    return true;
  }

  release(addressId: number): void {
    const left = (this.open.get(addressId) ?? 1) - 1;
    if (left <= 0) this.open.delete(addressId);
    else this.open.set(addressId, left);
  }

  count(addressId: number): number {
    return this.open.get(addressId) ?? 0;
  }
}
