// STATUS data items (RFC 9051 §6.3.11, STATUS=SIZE RFC 8438, HIGHESTMODSEQ RFC 7162, APPENDLIMIT RFC 7889).
import { ArgError, ArgReader } from './args.js';
import type { Token } from './tokens.js';

export type StatusItem =
  | 'MESSAGES'
  | 'UIDNEXT'
  | 'UIDVALIDITY'
  | 'UNSEEN'
  | 'DELETED'
  | 'SIZE'
  | 'RECENT'
  | 'HIGHESTMODSEQ'
  | 'APPENDLIMIT'
  | 'DELETED-STORAGE';

const ITEMS: readonly string[] = [
  'MESSAGES',
  'UIDNEXT',
  'UIDVALIDITY',
  'UNSEEN',
  'DELETED',
  'SIZE',
  'RECENT',
  'HIGHESTMODSEQ',
  'APPENDLIMIT',
  'DELETED-STORAGE',
];

export function parseStatusItems(tokens: readonly Token[]): StatusItem[] {
  if (tokens.length === 0) throw new ArgError('Empty status item list');
  return tokens.map((t) => {
    if (t.kind !== 'atom' || !ITEMS.includes(t.value.toUpperCase()))
      throw new ArgError('Unknown status item');
    return t.value.toUpperCase() as StatusItem;
  });
}

export function parseStatus(
  tokens: readonly Token[],
  utf8: boolean,
): { mailbox: string; items: StatusItem[] } {
  const r = new ArgReader(tokens, utf8);
  const mailbox = r.mailbox();
  const items = parseStatusItems(r.list());
  r.end();
  return { mailbox, items };
}
