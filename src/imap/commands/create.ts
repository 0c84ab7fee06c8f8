// CREATE (RFC 9051 §6.3.4) with CREATE-SPECIAL-USE (RFC 6154 §3).
import { createFolder } from '../../core/mailbox/folders.js';
import type { SpecialUse } from '../../store/ports.js';
import { ArgError, ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult } from '../session-api.js';

const USES: readonly string[] = [
  '\\Sent',
  '\\Drafts',
  '\\Trash',
  '\\Junk',
  '\\Archive',
  '\\All',
  '\\Flagged',
];

export async function handleCreate(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const r = new ArgReader(ctx.args, s.utf8);
  const name = r.mailbox();
  let specialUse: SpecialUse | null = null;
  const params = r.optionalList();
  if (params) {
    const p = new ArgReader(params);
    while (!p.done) {
      if (p.atom().toUpperCase() !== 'USE') throw new ArgError('Unknown CREATE parameter');
      const uses = p.list();
      if (uses.length > 1) return { status: 'NO', code: 'USEATTR', text: 'Only one special use per folder' };
      const u = uses[0];
      if (u) {
        const found = USES.find((x) => u.kind === 'atom' && x.toLowerCase() === u.value.toLowerCase());
        if (!found) return { status: 'NO', code: 'USEATTR', text: 'Unsupported special use' };
        if (found === '\\All' || found === '\\Flagged')
          return { status: 'NO', code: 'USEATTR', text: 'Virtual folders are not supported' };
        specialUse = found as SpecialUse;
      }
    }
  }
  r.end();
  if (name === 'INBOX') return { status: 'NO', code: 'ALREADYEXISTS', text: 'INBOX always exists' };
  await createFolder(s.core, s.state.account.addressId, name, { specialUse });
  return { status: 'OK', text: 'Create completed' };
}
