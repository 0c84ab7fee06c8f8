// QUIT (RFC 1939 §6): in AUTHORIZATION just goodbye; in TRANSACTION the UPDATE state removes the
// messages marked with DELE (and marks retrieved ones \Seen), then the session ends. If the removal
// fails the client is told, so it does not believe the messages are gone.
import { commitMaildropUpdate } from '../../core/mailbox/pop3-view.js';
import { errLine, okLine } from '../proto/response.js';
import type { Pop3Handler } from '../session-api.js';

export const handleQuit: Pop3Handler = async (session) => {
  const st = session.state;
  if (st.kind !== 'transaction') return { out: okLine('Mailstead POP3 server signing off'), after: 'close' };
  const { drop, account } = st;
  session.state = { kind: 'update' };
  const box = drop.box;
  const deleted = drop.deletedUids();
  try {
    if (box) await commitMaildropUpdate(session.core, box, { deleted, retrieved: [...drop.retrieved] });
  } catch (e) {
    session.core.log.error({ err: e, user: account.address }, 'pop3: UPDATE failed');
    return { out: errLine('Some deleted messages were not removed', 'SYS/TEMP'), after: 'close' };
  }
  const left = drop.stat().count;
  return { out: okLine(`Mailstead POP3 server signing off (${left} messages left)`), after: 'close' };
};
