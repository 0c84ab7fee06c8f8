// SUBSCRIBE / UNSUBSCRIBE (RFC 9051 §6.3.7, §6.3.8): a flag on existing folders.
import { setSubscribed } from '../../core/mailbox/folders.js';
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleSubscribe(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const r = new ArgReader(ctx.args, s.utf8);
  const name = r.mailbox();
  r.end();
  await setSubscribed(s.core, s.state.account.addressId, name, ctx.name === 'SUBSCRIBE');
  return { status: 'OK', text: `${ctx.name} completed` };
}
