// DELE msg (RFC 1939 §5): only a mark in this session; the message goes at QUIT (UPDATE state), and
// a dropped connection removes nothing.
import { parseNumber } from '../proto/command.js';
import { errLine, okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';
import { maildropOf } from './transaction.js';

export const handleDele: Pop3Handler = async (session, args) => {
  if (args.length !== 1) return { out: errLine('Usage: DELE message') };
  const { drop } = maildropOf(session);
  const n = parseNumber(args[0]);
  const found = drop.lookup(n);
  if (!found.ok) return { out: errLine(found.text) };
  drop.markDeleted(n!);
  return { out: okLine(`Message ${n} marked for deletion`) };
};
