// The STATUS data of one folder (RFC 9051 §6.3.11), shared by STATUS and LIST-STATUS (RFC 5819).
import { countDeleted, deletedUids, loadMessages } from '../../core/mailbox/messages.js';
import { countUnclaimed } from '../../core/mailbox/recent.js';
import { folderStatus } from '../../core/mailbox/folders.js';
import type { MailboxRecord } from '../../store/ports.js';
import type { StatusItem } from '../proto/status.js';
import type { SessionApi } from '../session-api.js';

export async function statusLine(
  s: SessionApi,
  box: MailboxRecord,
  items: readonly StatusItem[],
): Promise<string> {
  const st = await folderStatus(s.core, box);
  const parts: string[] = [];
  for (const item of items) {
    switch (item) {
      case 'MESSAGES':
        parts.push(`MESSAGES ${st.messages}`);
        break;
      case 'UIDNEXT':
        parts.push(`UIDNEXT ${st.uidNext}`);
        break;
      case 'UIDVALIDITY':
        parts.push(`UIDVALIDITY ${st.uidValidity}`);
        break;
      case 'UNSEEN':
        parts.push(`UNSEEN ${st.unseen}`);
        break;
      case 'RECENT':
        parts.push(`RECENT ${await countUnclaimed(s.core, box.id)}`);
        break;
      case 'SIZE':
        parts.push(`SIZE ${st.size}`);
        break;
      case 'DELETED':
        parts.push(`DELETED ${await countDeleted(s.core, box)}`);
        break;
      case 'DELETED-STORAGE': {
        const rows = await loadMessages(s.core, box.id, await deletedUids(s.core, box));
        parts.push(`DELETED-STORAGE ${rows.reduce((n, m) => n + m.size, 0)}`);
        break;
      }
      case 'HIGHESTMODSEQ':
        parts.push(`HIGHESTMODSEQ ${st.highestModseq}`);
        break;
      case 'APPENDLIMIT':
        parts.push(`APPENDLIMIT ${s.opts.maxMessageSize}`);
        break;
    }
  }
  return `* STATUS ${s.mailboxName(box.name)} (${parts.join(' ')})`;
}
