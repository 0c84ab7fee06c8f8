// PUTSCRIPT (RFC 5804 §2.6): store a script after compiling it; errors name line and column,
// warnings come back with OK (WARNINGS).
import { putScript } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf, limitsOf } from './account.js';

export async function handlePutScript(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const name = r.string('the script name');
  const source = r.string('the script');
  r.end();
  const s = ctx.session;
  const { warnings } = await putScript(s.core, accountOf(s).addressId, name, source, limitsOf(s));
  if (warnings.length > 0) return { status: 'OK', code: 'WARNINGS', text: warnings.join('\r\n') };
  return { status: 'OK', text: 'Script stored' };
}
