// APPEND (RFC 9051 §6.3.12) with UIDPLUS's APPENDUID (RFC 4315), MULTIAPPEND (RFC 3502), BINARY
// literal8 (RFC 3516 §4.4), CATENATE (RFC 4469) and UTF-8 headers (RFC 6855 §4, RFC 9051).
import { getFolder } from '../../core/mailbox/folders.js';
import { appendMessages } from '../../core/mailbox/messages.js';
import { encodeBinaryParts } from '../../mime/binary-to-base64.js';
import { parseAppend } from '../proto/append.js';
import { buildCatenated } from '../catenate.js';
import { formatSequenceSet } from '../proto/sequence.js';
import type { CommandContext, CommandResult } from '../session-api.js';

export async function handleAppend(ctx: CommandContext): Promise<CommandResult> {
  const s = ctx.session;
  if (s.state.kind !== 'authenticated' && s.state.kind !== 'selected')
    return { status: 'BAD', text: 'Log in first' };
  const args = parseAppend(ctx.args, s.utf8);
  const utf8Data = args.messages.some(
    (m) => m.utf8 || m.catenate?.some((p) => p.kind === 'text' && p.utf8 === true),
  );
  if (utf8Data && !s.utf8) return { status: 'BAD', text: 'UTF8 message data needs ENABLE UTF8=ACCEPT' };
  const addressId = s.state.account.addressId;
  const box = await getFolder(s.core, addressId, args.mailbox);
  if (!box) return { status: 'NO', code: 'TRYCREATE', text: 'No such folder' };
  for (const m of args.messages) {
    if (m.catenate) {
      m.binary = m.catenate.some((p) => p.kind === 'text' && p.binary);
      m.data = await buildCatenated(s, addressId, m.catenate);
    }
    if (m.data.length === 0) return { status: 'NO', text: 'Cannot save an empty message' };
    if (m.data.length > s.opts.maxMessageSize)
      return { status: 'NO', code: 'TOOBIG', text: 'Message too large' };
    // A NUL is only allowed in a literal8 (RFC 3516 §4.4).
    if (!m.binary && m.data.includes(0))
      return { status: 'NO', code: 'UNKNOWN-CTE', text: 'NUL in a non-binary literal' };
    // UTF-8 headers are for clients that said they handle them (ENABLE UTF8=ACCEPT or IMAP4rev2); from
    // anyone else an 8-bit header is refused with NO (RFC 6855 §4).
    if (!s.utf8 && has8bitHeader(m.data))
      return { status: 'NO', code: 'CANNOT', text: '8-bit header text needs ENABLE UTF8=ACCEPT' };
  }
  const rows = await appendMessages(
    s.core,
    box,
    args.messages.map((m) => ({
      raw: m.binary ? encodeBinaryParts(m.data) : m.data,
      flags: m.flags,
      ...(m.internalDate !== null ? { internalDate: m.internalDate } : {}),
    })),
  );
  return {
    status: 'OK',
    code: `APPENDUID ${box.uidValidity} ${formatSequenceSet(rows.map((r) => r.uid))}`,
    text: 'Append completed',
  };
}

/** Whether the header section (up to the first empty line) has an octet above 0x7f. */
function has8bitHeader(raw: Buffer): boolean {
  if (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a)) return false;
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  if (end < 0) end = raw.length;
  for (let i = 0; i < end; i++) if (raw[i]! > 0x7f) return true;
  return false;
}
