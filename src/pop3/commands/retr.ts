// RETR msg and TOP msg n (RFC 1939 §5, §7): the message (or its header and first n body lines),
// byte-stuffed. A message expunged since login (by an IMAP client) is answered with -ERR, not a crash.
import { parseNumber } from '../proto/command.js';
import { stuffMessage, topOf } from '../proto/dot-stuff.js';
import { errLine, okLine } from '../proto/response.js';
import { readMaildropMessage } from '../../core/mailbox/pop3-view.js';
import type { CommandResult, Pop3Handler, Pop3SessionApi } from '../session-api.js';
import { maildropOf } from './transaction.js';

async function send(
  session: Pop3SessionApi,
  arg: string | undefined,
  lines?: number,
): Promise<CommandResult> {
  const { drop } = maildropOf(session);
  const n = parseNumber(arg);
  const found = drop.lookup(n);
  if (!found.ok) return { out: errLine(found.text) };
  const raw = drop.box && (await readMaildropMessage(session.core, drop.box, found.entry.uid));
  if (!raw) return { out: errLine(`Message ${n} was removed by another session`) };
  if (lines === undefined) {
    drop.retrieved.add(found.entry.uid);
    return { out: [okLine(`${found.entry.size} octets`), stuffMessage(raw)] };
  }
  return { out: [okLine('Top of message follows'), stuffMessage(topOf(raw, lines))] };
}

export const handleRetr: Pop3Handler = async (session, args) => {
  if (args.length !== 1) return { out: errLine('Usage: RETR message') };
  return send(session, args[0]);
};

export const handleTop: Pop3Handler = async (session, args) => {
  const lines = parseNumber(args[1]);
  if (args.length !== 2 || lines === undefined) return { out: errLine('Usage: TOP message lines') };
  return send(session, args[0], lines);
};
