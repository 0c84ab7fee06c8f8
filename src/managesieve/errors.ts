// Domain errors to ManageSieve NO responses with RFC 5804 §1.3 response codes, in one place.
import { MailError } from '../core/errors.js';
import { ArgError } from './args.js';
import type { CommandResult } from './session-api.js';

export function toManageSieveResult(e: unknown): CommandResult | null {
  if (e instanceof ArgError) return { status: 'NO', text: e.message };
  if (!(e instanceof MailError)) return null;
  switch (e.code) {
    case 'NOT_FOUND':
      return { status: 'NO', code: 'NONEXISTENT', text: e.message };
    case 'ALREADY_EXISTS':
      return { status: 'NO', code: 'ALREADYEXISTS', text: e.message };
    case 'OVER_QUOTA': {
      const q = e.context['quota'];
      const code = q === 'maxsize' ? 'QUOTA/MAXSIZE' : q === 'maxscripts' ? 'QUOTA/MAXSCRIPTS' : 'QUOTA';
      return { status: 'NO', code, text: e.message };
    }
    case 'INVALID_ARGUMENT':
      return {
        status: 'NO',
        ...(e.context['reason'] === 'active' ? { code: 'ACTIVE' } : {}),
        text: e.message,
      };
    case 'TEMPORARY_FAILURE':
      return { status: 'NO', code: 'TRYLATER', text: e.message };
    default:
      return { status: 'NO', text: e.message };
  }
}
