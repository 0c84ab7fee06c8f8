// Password hashes: scrypt (memory-hard, in Node's own crypto) in a self-describing string so the
// parameters can grow later without breaking stored hashes: scrypt$N$r$p$salt$hash (base64).
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize('NFC'), salt, KEYLEN, {
    N,
    r: R,
    p: P,
    maxmem: 128 * N * R * 2,
  });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** scrypt verifications run by this process (what the verified-login cache saves shows here). */
export const passwordStats = { verifications: 0 };

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  passwordStats.verifications++;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64');
  const N2 = Number(n);
  const R2 = Number(r);
  const key = await scrypt(password.normalize('NFC'), Buffer.from(saltB64, 'base64'), expected.length, {
    N: N2,
    r: R2,
    p: Number(p),
    maxmem: 128 * N2 * R2 * 2,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash that never verifies, compared against when the user is unknown so timing tells nothing. */
export const DUMMY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEYLEN).toString('base64')}`;
