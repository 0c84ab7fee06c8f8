// ENABLE (RFC 5161): CONDSTORE and QRESYNC (RFC 7162; QRESYNC implies CONDSTORE, §3.2.3).
import type { CommandContext, CommandResult } from '../session-api.js';

const SUPPORTED = ['CONDSTORE', 'QRESYNC'];

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
  if (s.enabled.has('QRESYNC')) s.enabled.add('CONDSTORE');
  s.send(`* ENABLED${now.map((c) => ` ${c}`).join('')}`);
  return { status: 'OK', text: 'Enabled' };
}
