// CANCELUPDATE (RFC 5267 §4.3): stop keeping the searches started by these tags up to date.
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export function handleCancelUpdate(ctx: CommandContext): Promise<CommandResult> {
  const sel = ctx.session.selected();
  const r = new ArgReader(ctx.args);
  const tags: string[] = [];
  while (!r.done) tags.push(r.astring());
  if (tags.length === 0) return Promise.resolve({ status: 'BAD', text: 'CANCELUPDATE needs a tag' });
  for (const t of tags) {
    const i = sel.contexts.findIndex((c) => c.tag === t);
    if (i >= 0) sel.contexts.splice(i, 1);
  }
  return Promise.resolve({ status: 'OK', text: 'Updates cancelled' });
}
