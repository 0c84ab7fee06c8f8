// QUOTA (RFC 9208): one storage quota root "" per address, STORAGE in units of 1024 bytes.
import { requireFolder } from '../../core/mailbox/folders.js';
import { ArgReader } from '../proto/args.js';
import type { CommandContext, CommandResult, SessionApi } from '../session-api.js';

async function quotaLine(s: SessionApi, addressId: number): Promise<string | null> {
  const addr = await s.core.store.directory.getAddress(addressId);
  if (!addr || addr.quotaBytes <= 0) return null;
  return `* QUOTA "" (STORAGE ${Math.ceil(addr.usedBytes / 1024)} ${Math.floor(addr.quotaBytes / 1024)})`;
}

export async function handleGetQuotaRoot(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const r = new ArgReader(ctx.args, s.utf8);
  const name = r.mailbox();
  r.end();
  const box = await requireFolder(s.core, s.state.account.addressId, name);
  const line = await quotaLine(s, s.state.account.addressId);
  s.send(`* QUOTAROOT ${s.mailboxName(box.name)}${line ? ' ""' : ''}`);
  if (line) s.send(line);
  return { status: 'OK', text: 'Getquotaroot completed' };
}

export async function handleGetQuota(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const r = new ArgReader(ctx.args);
  const root = r.astring();
  r.end();
  const line = root === '' ? await quotaLine(s, s.state.account.addressId) : null;
  if (!line) return { status: 'NO', code: 'NONEXISTENT', text: 'No such quota root' };
  s.send(line);
  return { status: 'OK', text: 'Getquota completed' };
}

export async function handleSetQuota(_ctx: CommandContext): Promise<CommandResult> {
  return { status: 'NO', code: 'NOPERM', text: 'Quotas are set by the administrator' };
}
