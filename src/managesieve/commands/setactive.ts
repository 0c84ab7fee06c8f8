// SETACTIVE (RFC 5804 §2.8): activate a script, or deactivate all with "".
import { setActiveScript } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf, limitsOf } from './account.js';

export async function handleSetActive(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const name = r.string('the script name');
  r.end();
  const s = ctx.session;
  await setActiveScript(s.core, accountOf(s).addressId, name === '' ? null : name, limitsOf(s));
  return { status: 'OK', text: name === '' ? 'No script is active now' : 'Script activated' };
}
