// CATENATE (RFC 4469): a message put together from literal text and parts of messages already stored
// in the user's own folders, named by IMAP URLs. Any URL that does not resolve fails the whole APPEND
// with NO [BADURL] (RFC 4469 §6).
import { getFolder } from '../core/mailbox/folders.js';
import { parseMessage } from '../mime/index.js';
import { ImapNoError } from './errors.js';
import type { CatenatePart } from './proto/append.js';
import { parseSection } from './proto/fetch.js';
import { parseImapUrl } from './proto/imap-url.js';
import { sectionBytes } from './proto/sections.js';
import type { SessionApi } from './session-api.js';

function badUrl(url: string): ImapNoError {
  return new ImapNoError(
    `BADURL ${JSON.stringify(url.slice(0, 200))}`,
    'The URL does not name a message here',
  );
}

async function resolveUrl(s: SessionApi, addressId: number, url: string): Promise<Buffer> {
  const u = parseImapUrl(url);
  if (!u) throw badUrl(url);
  const box = await getFolder(s.core, addressId, u.mailbox);
  if (!box || (u.uidValidity !== null && u.uidValidity !== box.uidValidity)) throw badUrl(url);
  const m = await s.core.store.mail.getMessage(box.id, u.uid);
  if (!m) throw badUrl(url);
  const raw = await s.core.store.blobs.get(m.blobHash);
  let data: Buffer | null = raw;
  if (u.section !== null) {
    let section;
    try {
      section = parseSection(u.section, false);
    } catch {
      throw badUrl(url);
    }
    data = sectionBytes(raw, parseMessage(raw), section);
    if (data === null) throw badUrl(url);
  }
  if (u.partial) {
    const start = Math.min(u.partial.offset, data.length);
    const end = u.partial.length === null ? data.length : Math.min(data.length, start + u.partial.length);
    data = data.subarray(start, end);
  }
  return data;
}

/** The message the parts make, checked against the size limit as it grows. */
export async function buildCatenated(
  s: SessionApi,
  addressId: number,
  parts: readonly CatenatePart[],
): Promise<Buffer> {
  const out: Buffer[] = [];
  let size = 0;
  for (const p of parts) {
    const data = p.kind === 'text' ? p.data : await resolveUrl(s, addressId, p.url);
    size += data.length;
    if (size > s.opts.maxMessageSize) throw new ImapNoError('TOOBIG', 'Message too large');
    out.push(data);
  }
  return Buffer.concat(out);
}
