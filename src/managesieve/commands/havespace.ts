// HAVESPACE (RFC 5804 §2.5): would a script of this size fit under this name?
import { haveSpace } from '../../core/rules/scripts.js';
import { ArgReader } from '../args.js';
import type { CommandContext, CommandResult } from '../session-api.js';
import { accountOf, limitsOf } from './account.js';

export async function handleHaveSpace(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const name = r.string('the script name');
  const size = r.number('the size');
  r.end();
  await haveSpace(ctx.session.core, accountOf(ctx.session).addressId, name, size, limitsOf(ctx.session));
  return { status: 'OK', text: 'Putscript would succeed' };
}
