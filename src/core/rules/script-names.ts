// Script names (RFC 5804 §1.6): any Net-Unicode string (RFC 5198, so NFC) without control characters
// U+0000-001F, U+007F-009F, U+2028 and U+2029; servers may limit the length. The same rule serves
// ManageSieve and the web UI.
import { MailError } from '../errors.js';

/** The script that holds the standard-mode rules (generated Sieve; see generate.ts). */
export const RULES_SCRIPT = 'mailstead-rules';

const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Returns the name in NFC, or throws INVALID_ARGUMENT saying what is wrong. */
export function validateScriptName(name: string, maxLength: number): string {
  if (name === '') throw new MailError('INVALID_ARGUMENT', 'A script name cannot be empty');
  if (FORBIDDEN.test(name))
    throw new MailError('INVALID_ARGUMENT', 'A script name cannot contain control characters');
  const nfc = name.normalize('NFC');
  if ([...nfc].length > maxLength)
    throw new MailError('INVALID_ARGUMENT', `A script name has at most ${maxLength} characters`);
  return nfc;
}
