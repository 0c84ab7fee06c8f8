// GETSCRIPT (RFC 5804 §2.9): the script as a literal, then OK.
import { getScript } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf } from './account.js';

export async function handleGetScript(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const name = r.string('the script name');
  r.end();
  const s = ctx.session;
  const script = await getScript(s.core, accountOf(s).addressId, name);
  const bytes = Buffer.from(script.source, 'utf8');
  s.write(`{${bytes.length}}\r\n`);
  s.write(bytes);
  s.write('\r\n');
  return { status: 'OK', text: 'Getscript completed' };
}
