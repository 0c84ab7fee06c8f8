// RSET (RFC 1939 §5): every deletion mark of this session is dropped.
import { errLine, okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';
import { maildropOf } from './transaction.js';

export const handleRset: Pop3Handler = async (session, args) => {
  if (args.length !== 0) return { out: errLine('RSET takes no arguments') };
  const { drop } = maildropOf(session);
  drop.reset();
  const s = drop.stat();
  return { out: okLine(`Maildrop has ${s.count} messages (${s.size} octets)`) };
};
