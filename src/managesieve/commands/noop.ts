// NOOP (RFC 5804 §2.13): an optional string comes back in a TAG response code.
import { ArgReader } from '../args.js';
import { tagCode } from '../proto/response.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleNoop(ctx: CommandContext): Promise<CommandResult> {
  const r = new ArgReader(ctx.args);
  const tag = r.done ? null : r.bytes('the tag');
  r.end();
  return { status: 'OK', ...(tag ? { code: tagCode(tag) } : {}), text: 'Done' };
}
