// RENAMESCRIPT (RFC 5804 §2.11.1): NONEXISTENT / ALREADYEXISTS; an active script stays active.
import { renameScript } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf, limitsOf } from './account.js';

export async function handleRenameScript(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const from = r.string('the old script name');
  const to = r.string('the new script name');
  r.end();
  const s = ctx.session;
  await renameScript(s.core, accountOf(s).addressId, from, to, limitsOf(s));
  return { status: 'OK', text: 'Script renamed' };
}
