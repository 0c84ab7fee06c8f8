// ENABLE (RFC 5161 / RFC 9051 §6.3.1): CONDSTORE and QRESYNC (RFC 7162; QRESYNC implies CONDSTORE,
// §3.2.3), IMAP4rev2 (RFC 9051) and UTF8=ACCEPT (RFC 6855 §3).
import type { CommandContext, CommandResult } from '../session-api.js';

const SUPPORTED = ['CONDSTORE', 'QRESYNC', 'IMAP4REV2', 'UTF8=ACCEPT'];
/** They change how mailbox names and strings are read and written: not while a mailbox is open. */
const AUTH_STATE_ONLY = ['IMAP4REV2', 'UTF8=ACCEPT'];

export async function handleEnable(ctx: CommandContext): Promise<CommandResult> {
  if (ctx.args.length === 0) return { status: 'BAD', text: 'ENABLE needs at least one capability' };
  const s = ctx.session;
  const now: string[] = [];
  for (const t of ctx.args) {
    if (t.kind !== 'atom') return { status: 'BAD', text: 'Invalid capability name' };
    const cap = t.value.toUpperCase();
    if (!SUPPORTED.includes(cap) || s.enabled.has(cap)) continue;
    // "Only valid in the authenticated state" (RFC 6855 §3, RFC 9051 §6.3.1): while a mailbox is selected
    // these two are left off the ENABLED list, which tells the client they are not on.
    if (AUTH_STATE_ONLY.includes(cap) && s.state.kind === 'selected') continue;
    s.enabled.add(cap);
    now.push(cap === 'IMAP4REV2' ? 'IMAP4rev2' : cap);
  }
  if (s.enabled.has('QRESYNC')) s.enabled.add('CONDSTORE');
  s.send(`* ENABLED${now.map((c) => ` ${c}`).join('')}`);
  return { status: 'OK', text: 'Enabled' };
}
