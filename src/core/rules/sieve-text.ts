// Writing Sieve source text safely (RFC 5228 §2.4.2): quoted strings escape only `"` and `\`;
// for :matches, the wildcards `*` and `?` (and `\`) in user text are escaped first (§2.7.1).

export function sieveString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function escapeWildcards(s: string): string {
  return s.replace(/[\\*?]/g, (c) => `\\${c}`);
}

export function sieveList(items: readonly string[]): string {
  return items.length === 1 ? sieveString(items[0]!) : `[${items.map(sieveString).join(', ')}]`;
}

/** Bytes as a Sieve number, with a K/M/G quantifier when exact (RFC 5228 §2.4.1). */
export function sieveSize(bytes: number): string {
  for (const [unit, mult] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes >= mult && bytes % mult === 0) return `${bytes / mult}${unit}`;
  }
  return String(bytes);
}

export function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}
