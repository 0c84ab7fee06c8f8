// Flag-list arithmetic for STORE. IMAP flag and keyword names compare case-insensitively
// (RFC 3501 §2.3.2); the spelling first seen is the one kept.

const key = (f: string): string => f.toLowerCase();

export function uniqueFlags(flags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of flags) {
    if (seen.has(key(f))) continue;
    seen.add(key(f));
    out.push(f);
  }
  return out;
}

export function applyFlagOp(
  op: 'set' | 'add' | 'remove',
  current: readonly string[],
  given: readonly string[],
): string[] {
  switch (op) {
    case 'set':
      return uniqueFlags(given);
    case 'add':
      return uniqueFlags([...current, ...given]);
    case 'remove': {
      const gone = new Set(given.map(key));
      return current.filter((f) => !gone.has(key(f)));
    }
  }
}

export function sameFlagSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const keys = new Set(a.map(key));
  return b.every((f) => keys.has(key(f)));
}

export const hasSeen = (flags: readonly string[]): boolean => flags.some((f) => key(f) === '\\seen');
