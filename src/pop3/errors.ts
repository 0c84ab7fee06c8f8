// Domain errors to POP3 replies: temporary trouble is [SYS/TEMP] so clients retry later, anything
// permanent [SYS/PERM] (RFC 3206 §4). Unknown errors get a generic text; the session logs them.
import { isMailError } from '../core/errors.js';
import { errLine } from './proto/response.js';

export function toPop3Error(e: unknown): { line: string; expected: boolean } {
  if (isMailError(e)) {
    const temp = e.temporary || e.code === 'TEMPORARY_FAILURE';
    return { line: errLine(e.message, temp ? 'SYS/TEMP' : 'SYS/PERM'), expected: true };
  }
  return { line: errLine('Internal error; try again later', 'SYS/TEMP'), expected: false };
}
