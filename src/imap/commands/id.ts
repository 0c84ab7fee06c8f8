// ID (RFC 2971): we tell our name; what the client says is only logged.
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleId(ctx: CommandContext): Promise<CommandResult> {
  const arg = ctx.args[0];
  if (
    ctx.args.length !== 1 ||
    !arg ||
    (arg.kind === 'atom' ? arg.value.toUpperCase() !== 'NIL' : arg.kind !== 'list')
  ) {
    return { status: 'BAD', text: 'ID takes NIL or a list' };
  }
  if (arg.kind === 'list') {
    if (arg.items.length % 2 !== 0 || arg.items.length > 60)
      return { status: 'BAD', text: 'Invalid ID list' };
    const info: Record<string, string> = {};
    for (let i = 0; i < arg.items.length; i += 2) {
      const k = arg.items[i]!;
      const v = arg.items[i + 1]!;
      if (k.kind !== 'string' || v.kind === 'list') return { status: 'BAD', text: 'Invalid ID list' };
      info[k.value.toString('utf8').slice(0, 30)] =
        v.kind === 'string' ? v.value.toString('utf8').slice(0, 1024) : v.value;
    }
    ctx.session.core.log.debug({ client: info }, 'imap: client id');
  }
  ctx.session.send('* ID ("name" "Mailstead" "vendor" "Mailstead")');
  return { status: 'OK', text: 'ID completed' };
}
