// Folder names as the domain stores them: full UTF-8 paths with "/" as the hierarchy separator, INBOX
// always spelled "INBOX" (RFC 9051 §5.1: INBOX is case-insensitive).
import { MailError } from '../errors.js';

export const SEPARATOR = '/';

export function normaliseFolderName(name: string): string {
  const n = name.normalize('NFC');
  if (n.toUpperCase() === 'INBOX') return 'INBOX';
  if (n.toUpperCase().startsWith('INBOX/')) return `INBOX${n.slice(5)}`;
  return n;
}

/** Refuses names a client could not address or that would confuse LIST patterns. */
export function validateFolderName(name: string): string {
  const n = normaliseFolderName(name);
  if (n.length === 0) throw new MailError('INVALID_ARGUMENT', 'Folder name is empty');
  if (Buffer.byteLength(n, 'utf8') > 1000) throw new MailError('INVALID_ARGUMENT', 'Folder name is too long');
  // C0 and C1 controls, DEL, LINE and PARAGRAPH SEPARATOR are not allowed in names (RFC 6855 §3, Net-Unicode
  // per RFC 5198); "*" and "%" would be LIST wildcards.
  if (/[\x00-\x1f\x7f-\x9f\u2028\u2029*%]/.test(n))
    throw new MailError('INVALID_ARGUMENT', 'Folder name has characters that are not allowed');
  const parts = n.split(SEPARATOR);
  if (parts.some((p) => p.length === 0))
    throw new MailError('INVALID_ARGUMENT', 'Folder name has an empty level');
  if (parts.some((p) => p.length > 255))
    throw new MailError('INVALID_ARGUMENT', 'Folder name level is too long');
  return n;
}

/** "a/b/c" -> ["a", "a/b"]. */
export function parentsOf(name: string): string[] {
  const parts = name.split(SEPARATOR);
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join(SEPARATOR));
  return out;
}

export function isSameOrChild(name: string, parent: string): boolean {
  return name === parent || name.startsWith(parent + SEPARATOR);
}
