// What a submission server does to a message a user sends (RFC 6409 §8): check that every From
// address belongs to the sender, drop Bcc, add Date and Message-ID when missing.
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import { MailError } from '../errors.js';
import { flattenAddresses, parseAddressList } from '../../mime/addresses.js';
import { decodeEncodedWords } from '../../mime/encoded-words.js';
import { joinMessage, makeField, splitMessage } from '../../wire/header-block.js';
import { rfc5322Date } from '../../wire/date.js';
import { maySendAs } from './sender-policy.js';

export interface PreparedSubmission {
  raw: Buffer;
  messageId: string;
  subject: string;
}

export async function prepareSubmission(
  core: Core,
  account: Account,
  raw: Buffer,
): Promise<PreparedSubmission> {
  const m = splitMessage(raw);
  const froms = m.fields.filter((f) => f.key === 'from');
  if (froms.length !== 1)
    throw new MailError('INVALID_ARGUMENT', 'the message must have exactly one From header field');
  const addresses = flattenAddresses(parseAddressList(froms[0]!.value));
  if (addresses.length === 0 || addresses.some((a) => !a.valid)) {
    throw new MailError('INVALID_ARGUMENT', 'the From header field has no valid address');
  }
  for (const a of addresses) {
    if (!(await maySendAs(core, account, a.address))) {
      throw new MailError('PERMISSION_DENIED', `you may not send as ${a.address} (From header)`);
    }
  }
  m.fields = m.fields.filter((f) => f.key !== 'bcc');
  if (!m.fields.some((f) => f.key === 'date'))
    m.fields.push(makeField('Date', rfc5322Date(core.now()), m.eol));
  let messageId = m.fields.find((f) => f.key === 'message-id')?.value ?? '';
  if (!messageId) {
    messageId = `<${randomBytes(12).toString('hex')}@${account.domain || core.hostname}>`;
    m.fields.push(makeField('Message-ID', messageId, m.eol));
  }
  const subject = decodeEncodedWords(m.fields.find((f) => f.key === 'subject')?.value ?? '');
  return { raw: joinMessage(m), messageId, subject };
}
