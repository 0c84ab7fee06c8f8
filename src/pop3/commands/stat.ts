// STAT (RFC 1939 §5): "+OK count octets" for the messages not marked deleted, from the snapshot.
import { okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';
import { maildropOf } from './transaction.js';

export const handleStat: Pop3Handler = async (session) => {
  const s = maildropOf(session).drop.stat();
  return { out: okLine(`${s.count} ${s.size}`) };
};
