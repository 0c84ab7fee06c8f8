// One error type for the domain, with a code from a fixed catalogue; each protocol edge maps it to
// its own wire form (SMTP reply, IMAP response code, HTTP status, CLI exit message).

export type MailErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_ADDRESS'
  | 'ALREADY_EXISTS'
  | 'NOT_FOUND'
  | 'DOMAIN_NOT_FOUND'
  | 'PLAN_LIMIT'
  | 'PERMISSION_DENIED'
  | 'OVER_QUOTA'
  | 'MESSAGE_TOO_LARGE'
  | 'AUTH_FAILED'
  | 'TEMPORARY_FAILURE'
  | 'MAILBOX_NOT_FOUND'
  | 'MAILBOX_EXISTS'
  | 'STORAGE_FULL';

export class MailError extends Error {
  override name = 'MailError';
  constructor(
    readonly code: MailErrorCode,
    message: string,
    readonly temporary = false,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function isMailError(e: unknown, code?: MailErrorCode): e is MailError {
  return e instanceof MailError && (code === undefined || e.code === code);
}

/**
 * The disk (or the database's tablespace) is full: a temporary condition every protocol answers with
 * its "try again later" (SMTP 452 4.3.1, IMAP NO [UNAVAILABLE]) — never a loss, never a crash.
 */
export function isStorageFull(e: unknown): boolean {
  if (isMailError(e, 'STORAGE_FULL')) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === '53100') return true;
  return e instanceof Error && /database or disk is full|no space left on device/i.test(e.message);
}

/** errno codes of a storage operation that failed for now and may well succeed later. */
const TEMPORARY_IO = new Set([
  'EIO',
  'EROFS',
  'EMFILE',
  'ENFILE',
  'EACCES',
  'EPERM',
  'EBUSY',
  'EAGAIN',
  'ENOMEM',
]);

/**
 * A file-system or SQLite I/O failure other than a full disk (read-only remount, I/O error, out of
 * file descriptors, permissions): the operation was not done, nothing was half-stored, and the
 * client may try again later — IMAP answers NO [UNAVAILABLE], SMTP a 4xx, never a 5xx.
 */
export function isStorageIoError(e: unknown): boolean {
  const err = e as { code?: unknown; syscall?: unknown } | null;
  if (typeof err?.code !== 'string') return false;
  // Node's recursive mkdir reports ENOENT when a level cannot be created (EROFS, EIO underneath).
  if (err.code === 'ENOENT' && err.syscall === 'mkdir') return true;
  if (typeof err.syscall === 'string') return TEMPORARY_IO.has(err.code);
  return /^SQLITE_(IOERR|READONLY|CANTOPEN|BUSY|NOMEM)/.test(err.code);
}
