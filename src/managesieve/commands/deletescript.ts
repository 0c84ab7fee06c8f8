// DELETESCRIPT (RFC 5804 §2.10): the active script cannot be deleted (NO (ACTIVE)).
import { deleteScript } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf, limitsOf } from './account.js';

export async function handleDeleteScript(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const name = r.string('the script name');
  r.end();
  const s = ctx.session;
  await deleteScript(s.core, accountOf(s).addressId, name, limitsOf(s));
  return { status: 'OK', text: 'Script deleted' };
}
