// IDLE (RFC 2177, RFC 9051 §6.3.13): changes are pushed as they happen — from this process at once,
// from other processes at the next poll of the change feed — until the client sends DONE.
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleIdle(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (ctx.args.length > 0) return { status: 'BAD', text: 'IDLE takes no arguments' };
  s.send('+ idling');
  await s.flushOutput();
  let idling = true;
  const wake = () => {
    if (!idling) return;
    void s
      .syncSelected(true)
      .then(() => s.flushOutput())
      .catch((e: unknown) => s.core.log.warn({ err: e }, 'imap: idle update failed'));
  };
  const off = s.watchChanges(wake);
  // Changes that arrived between the last command and IDLE.
  if (s.state.kind === 'selected') wake();
  const line = await s.readLine();
  idling = false;
  off();
  if (line === null) return { status: 'BAD', text: 'Connection closed' };
  if (line.trim().toUpperCase() !== 'DONE') return { status: 'BAD', text: 'Expected DONE' };
  return { status: 'OK', text: 'IDLE terminated' };
}
