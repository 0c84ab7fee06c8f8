// COMPRESS (RFC 4978 §3): DEFLATE is the one mechanism. The tagged OK goes out uncompressed; both
// directions are compressed right after it.
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleCompress(ctx: CommandContext): Promise<CommandResult> {
  const [mech, ...rest] = ctx.args;
  if (!mech || rest.length > 0 || mech.kind !== 'atom')
    return { status: 'BAD', text: 'COMPRESS takes one mechanism' };
  if (mech.value.toUpperCase() !== 'DEFLATE') return { status: 'BAD', text: 'Unknown compression mechanism' };
  const on = ctx.session.startCompression();
  if (!on) return { status: 'NO', code: 'COMPRESSIONACTIVE', text: 'DEFLATE is already active' };
  return { status: 'OK', text: 'DEFLATE active', after: async () => on() };
}
