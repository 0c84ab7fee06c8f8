// NOTIFY SET / NOTIFY NONE (RFC 5465 §5); the work is done by the session's Notifier.
import { BadEventError, NOTIFY_EVENTS, parseNotify } from '../proto/notify.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleNotify(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  let args;
  try {
    args = parseNotify(ctx.args, s.utf8);
  } catch (e) {
    if (e instanceof BadEventError)
      return { status: 'NO', code: `BADEVENT (${NOTIFY_EVENTS.join(' ')})`, text: e.message };
    throw e;
  }
  await s.notifier.set(args);
  return { status: 'OK', text: 'NOTIFY completed' };
}
