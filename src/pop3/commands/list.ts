// LIST [msg] (RFC 1939 §5) and UIDL [msg] (RFC 1939 §7): one message, or a line per message not
// marked deleted. Both come from the login snapshot (sizes are the message rows'), never the bodies.
import { parseNumber } from '../proto/command.js';
import { errLine, multiLine, okLine } from '../proto/response.js';
import type { MaildropEntry } from '../../core/mailbox/pop3-view.js';
import type { Maildrop } from '../maildrop.js';
import type { Pop3Handler } from '../session-api.js';
import { maildropOf } from './transaction.js';

function listing(value: (drop: Maildrop, e: MaildropEntry) => string, usage: string): Pop3Handler {
  return async (session, args) => {
    const { drop } = maildropOf(session);
    if (args.length > 1) return { out: errLine(usage) };
    if (args.length === 1) {
      const n = parseNumber(args[0]);
      const found = drop.lookup(n);
      if (!found.ok) return { out: errLine(found.text) };
      return { out: okLine(`${n} ${value(drop, found.entry)}`) };
    }
    const lines: string[] = [];
    for (let n = 1; n <= drop.highest; n++) {
      if (drop.isDeleted(n)) continue;
      lines.push(`${n} ${value(drop, drop.entryAt(n)!)}`);
    }
    const s = drop.stat();
    return { out: multiLine(`${s.count} messages (${s.size} octets)`, lines) };
  };
}

export const handleList = listing((_, e) => String(e.size), 'Usage: LIST [message]');
export const handleUidl = listing((drop, e) => drop.uidl(e), 'Usage: UIDL [message]');
