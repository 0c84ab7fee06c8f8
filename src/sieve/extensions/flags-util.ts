/** IMAP flag list handling shared by keep/fileinto :flags and imap4flags (RFC 5232). */

const SYSTEM = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '\\Recent'];

/** Split space-separated flag strings, canonicalise system flags, drop case-insensitive duplicates. */
export function normalizeFlags(list: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const s of list)
    for (const f of s.split(/[ \t\r\n]+/)) {
      if (!f) continue;
      const sys = SYSTEM.find((x) => x.toLowerCase() === f.toLowerCase());
      const flag = sys ?? f;
      const k = flag.toLowerCase();
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(flag);
    }
  return out;
}

/** RFC 3501 flag syntax check: system flag or atom keyword. */
export function isValidFlag(f: string): boolean {
  if (f.startsWith('\\')) return SYSTEM.slice(0, 5).some((x) => x.toLowerCase() === f.toLowerCase());
  return /^[^\x00-\x20\x7f(){%*"\\\]]+$/.test(f);
}

export function removeFlags(cur: readonly string[], remove: readonly string[]): string[] {
  const r = new Set(normalizeFlags(remove).map((f) => f.toLowerCase()));
  return cur.filter((f) => !r.has(f.toLowerCase()));
}
