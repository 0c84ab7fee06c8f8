// Domain errors to IMAP status responses (RFC 5530 response codes), in one place.
import { MailError, isStorageFull, isStorageIoError } from '../core/errors.js';
import { ArgError } from './proto/args.js';
import type { CommandResult } from './session-api.js';
import { SEARCH_CHARSETS } from './proto/search.js';

/** A NO with a response code, raised from deep inside a command (e.g. UNKNOWN-CTE while fetching). */
export class ImapNoError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function toImapStatus(e: unknown): CommandResult | null {
  if (e instanceof ImapNoError) return { status: 'NO', code: e.code, text: e.message };
  if (e instanceof ArgError) {
    if (e.code === 'BADCHARSET')
      return { status: 'NO', code: `BADCHARSET (${SEARCH_CHARSETS.join(' ')})`, text: e.message };
    if (e.code === 'NONEXISTENT') return { status: 'NO', code: e.code, text: e.message };
    return { status: 'BAD', text: e.message };
  }
  if (isStorageFull(e))
    return { status: 'NO', code: 'UNAVAILABLE', text: 'Insufficient storage on the server; try again later' };
  if (isStorageIoError(e))
    return {
      status: 'NO',
      code: 'UNAVAILABLE',
      text: 'Temporary storage failure on the server; try again later',
    };
  if (!(e instanceof MailError)) return null;
  switch (e.code) {
    case 'MAILBOX_NOT_FOUND':
      return { status: 'NO', code: 'NONEXISTENT', text: e.message };
    case 'MAILBOX_EXISTS':
      return { status: 'NO', code: 'ALREADYEXISTS', text: e.message };
    case 'ALREADY_EXISTS':
      return { status: 'NO', code: 'USEATTR', text: e.message };
    case 'OVER_QUOTA':
      return { status: 'NO', code: 'OVERQUOTA', text: e.message };
    case 'MESSAGE_TOO_LARGE':
      return { status: 'NO', code: 'TOOBIG', text: e.message };
    case 'PERMISSION_DENIED':
      return { status: 'NO', code: 'NOPERM', text: e.message };
    case 'INVALID_ARGUMENT':
      return { status: 'NO', code: 'CANNOT', text: e.message };
    case 'TEMPORARY_FAILURE':
      return { status: 'NO', code: 'UNAVAILABLE', text: e.message };
    default:
      return { status: 'NO', code: e.temporary ? 'UNAVAILABLE' : 'CANNOT', text: e.message };
  }
}
