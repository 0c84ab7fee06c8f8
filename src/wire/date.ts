// RFC 5322 §3.3 date-time, always in UTC with a numeric zone ("+0000", not the obsolete "GMT").
export function rfc5322Date(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}
