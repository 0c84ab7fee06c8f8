// Logins verified a short while ago, so that a client logging in again with the same password does
// not pay for scrypt again. With the stored cost (N=2^15) a verification takes ~80 ms of CPU, and
// real clients log in often: Thunderbird opens several connections at once, phones reconnect at every
// network change, and each IMAP/POP3/SMTP session logs in on its own. Dovecot's auth cache is the
// same idea.
//
// What is kept per address is an HMAC of the password under a key that lives only in this process's
// memory, bound to the stored hash (a password change or reset makes the entry useless at once), with
// an expiry. Only successes are remembered: a wrong password always goes through scrypt, so it costs
// an attacker the same as before, and failures are still counted by the ban logic. The trade-off: if
// the process's memory were read, the entries could be attacked at HMAC speed instead of scrypt speed
// for as long as they live; `auth.verified_login_cache = 0` turns the cache off.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

interface Entry {
  /** The stored hash the password was verified against. */
  readonly hash: string;
  readonly mac: Buffer;
  readonly until: number;
}

export class VerifiedLogins {
  readonly #key = randomBytes(32);
  /** In insertion order: the first entry is the oldest (evicted first when full). */
  readonly #entries = new Map<number, Entry>();

  constructor(
    /** How long a verification is trusted; 0 disables the cache. */
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  #mac(hash: string, password: string): Buffer {
    return createHmac('sha256', this.#key)
      .update(hash)
      .update('\0')
      .update(password.normalize('NFC'))
      .digest();
  }

  /** The password verified against this stored hash less than ttl ago. */
  matches(addressId: number, hash: string, password: string, now: number): boolean {
    const e = this.#entries.get(addressId);
    if (e === undefined) return false;
    if (e.until <= now || e.hash !== hash) {
      this.#entries.delete(addressId);
      return false;
    }
    return timingSafeEqual(e.mac, this.#mac(hash, password));
  }

  /** The password was just verified against this stored hash by scrypt. */
  remember(addressId: number, hash: string, password: string, now: number): void {
    if (this.ttlMs <= 0) return;
    this.#entries.delete(addressId); // re-inserted last: the newest
    this.#entries.set(addressId, { hash, mac: this.#mac(hash, password), until: now + this.ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
