// CHECKSCRIPT (RFC 5804 §2.12): compile only, store nothing.
import { checkScript } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf, limitsOf } from './account.js';

export async function handleCheckScript(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const source = r.string('the script');
  r.end();
  const s = ctx.session;
  const { warnings } = await checkScript(s.core, accountOf(s).addressId, source, limitsOf(s));
  if (warnings.length > 0) return { status: 'OK', code: 'WARNINGS', text: warnings.join('\r\n') };
  return { status: 'OK', text: 'Script is valid' };
}
