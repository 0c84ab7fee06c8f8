// LISTSCRIPTS (RFC 5804 §2.7): one line per script, the active one marked ACTIVE.
import { listScripts } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import { msString } from '../proto/response.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf } from './account.js';

export async function handleListScripts(ctx: CommandContext): Promise<CommandResult> {
  new ArgReader(ctx.args).end();
  const s = ctx.session;
  for (const script of await listScripts(s.core, accountOf(s).addressId))
    s.send(`${msString(script.name)}${script.active ? ' ACTIVE' : ''}`);
  return { status: 'OK', text: 'Listscripts completed' };
}
