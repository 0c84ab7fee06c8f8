// ENABLE (RFC 5161): CONDSTORE (RFC 7162). UTF8=ACCEPT and IMAP4rev2 follow once complete.
import type { CommandContext, CommandResult } from '../session-api.js';

const SUPPORTED = ['CONDSTORE'];

export async function handleEnable(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.args.length === 0) return { status: 'BAD', text: 'ENABLE needs at least one capability' };
  const s = ctx.session;
  const now: string[] = [];
  for (const t of ctx.args) {
    if (t.kind !== 'atom') return { status: 'BAD', text: 'Invalid capability name' };
    const cap = t.value.toUpperCase();
    if (!SUPPORTED.includes(cap) || s.enabled.has(cap)) continue;
    s.enabled.add(cap);
    now.push(cap === 'IMAP4REV2' ? 'IMAP4rev2' : cap);
  }
  s.send(`* ENABLED${now.map((c) => ` ${c}`).join('')}`);
  return { status: 'OK', text: 'Enabled' };
}
