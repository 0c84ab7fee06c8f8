// Every command the server knows, in one table: the states it is valid in, whether it has a UID form,
// and its concurrency flags in Dovecot's vocabulary (usesSeqs: no EXPUNGE may be sent while it runs;
// breaksSeqs: it may expunge; readWrite: refused on a mailbox opened with EXAMINE).
import type { CommandResult, Handler } from './session-api.js';
import type { SessionState, StateKind } from './state.js';
import { handleCapability } from './commands/capability.js';
import { handleNoop } from './commands/noop.js';
import { handleLogout } from './commands/logout.js';
import { handleStartTls } from './commands/starttls.js';
import { handleLogin } from './commands/login.js';
import { handleAuthenticate } from './commands/authenticate.js';
import { handleId } from './commands/id.js';
import { handleEnable } from './commands/enable.js';
import { handleNamespace } from './commands/namespace.js';
import { handleList } from './commands/list.js';
import { handleCreate } from './commands/create.js';
import { handleDelete } from './commands/delete.js';
import { handleRename } from './commands/rename.js';
import { handleSubscribe } from './commands/subscribe.js';
import { handleStatus } from './commands/status.js';
import { handleSelect } from './commands/select.js';
import { handleAppend } from './commands/append.js';
import { handleFetch } from './commands/fetch.js';
import { handleStore } from './commands/store.js';
import { handleSearch } from './commands/search.js';
import { handleSort } from './commands/sort.js';
import { handleCancelUpdate } from './commands/cancelupdate.js';
import { handleNotify } from './commands/notify.js';
import { handleThread } from './commands/thread.js';
import { handleCopy } from './commands/copy.js';
import { handleExpunge } from './commands/expunge.js';
import { handleClose } from './commands/close.js';
import { handleIdle } from './commands/idle.js';
import { handleCompress } from './commands/compress.js';
import { handleGetQuota, handleGetQuotaRoot, handleSetQuota } from './commands/quota.js';

export interface CommandSpec {
  states: readonly StateKind[];
  uid?: boolean;
  usesSeqs?: boolean;
  breaksSeqs?: boolean;
  readWrite?: boolean;
  /** Only over TLS (besides STARTTLS itself, nothing that carries a password goes in plain text). */
  secure?: boolean;
  /**
   * IMAP4rev1 only: RFC 9051 dropped the command (Appendix E), so once a client has ENABLEd IMAP4rev2
   * it is unknown, answered BAD with this hint at what replaces it.
   */
  rev1Only?: string;
  handler: Handler;
}

const ANY: readonly StateKind[] = ['notAuthenticated', 'authenticated', 'selected'];
const PRE: readonly StateKind[] = ['notAuthenticated'];
const AUTH: readonly StateKind[] = ['authenticated', 'selected'];
const SEL: readonly StateKind[] = ['selected'];

export const COMMANDS = {
  CAPABILITY: { states: ANY, handler: handleCapability },
  NOOP: { states: ANY, handler: handleNoop },
  LOGOUT: { states: ANY, handler: handleLogout },
  ID: { states: ANY, handler: handleId },
  STARTTLS: { states: PRE, handler: handleStartTls },
  LOGIN: { states: PRE, handler: handleLogin },
  AUTHENTICATE: { states: PRE, handler: handleAuthenticate },
  ENABLE: { states: AUTH, handler: handleEnable },
  NAMESPACE: { states: AUTH, handler: handleNamespace },
  LIST: { states: AUTH, handler: handleList },
  LSUB: { states: AUTH, rev1Only: 'use LIST (SUBSCRIBED)', handler: handleList },
  CREATE: { states: AUTH, handler: handleCreate },
  DELETE: { states: AUTH, handler: handleDelete },
  RENAME: { states: AUTH, handler: handleRename },
  SUBSCRIBE: { states: AUTH, handler: handleSubscribe },
  UNSUBSCRIBE: { states: AUTH, handler: handleSubscribe },
  STATUS: { states: AUTH, handler: handleStatus },
  SELECT: { states: AUTH, handler: handleSelect },
  EXAMINE: { states: AUTH, handler: handleSelect },
  APPEND: { states: AUTH, handler: handleAppend },
  IDLE: { states: AUTH, handler: handleIdle },
  NOTIFY: { states: AUTH, handler: handleNotify },
  GETQUOTA: { states: AUTH, handler: handleGetQuota },
  GETQUOTAROOT: { states: AUTH, handler: handleGetQuotaRoot },
  SETQUOTA: { states: AUTH, handler: handleSetQuota },
  COMPRESS: { states: AUTH, handler: handleCompress },
  CHECK: { states: SEL, rev1Only: 'use NOOP', handler: handleNoop },
  CLOSE: { states: SEL, breaksSeqs: true, handler: handleClose },
  UNSELECT: { states: SEL, handler: handleClose },
  EXPUNGE: { states: SEL, uid: true, breaksSeqs: true, readWrite: true, handler: handleExpunge },
  FETCH: { states: SEL, uid: true, usesSeqs: true, handler: handleFetch },
  STORE: { states: SEL, uid: true, usesSeqs: true, readWrite: true, handler: handleStore },
  SEARCH: { states: SEL, uid: true, usesSeqs: true, handler: handleSearch },
  SORT: { states: SEL, uid: true, usesSeqs: true, handler: handleSort },
  THREAD: { states: SEL, uid: true, usesSeqs: true, handler: handleThread },
  CANCELUPDATE: { states: SEL, handler: handleCancelUpdate },
  COPY: { states: SEL, uid: true, usesSeqs: true, handler: handleCopy },
  MOVE: { states: SEL, uid: true, breaksSeqs: true, readWrite: true, handler: handleCopy },
} satisfies Record<string, CommandSpec>;

export type ImapCommand = keyof typeof COMMANDS;

/** The one state gate: null when the command may run now, else the response refusing it. */
export function isAllowed(
  spec: CommandSpec,
  state: SessionState,
  secure: boolean,
  rev2 = false,
): CommandResult | null {
  if (rev2 && spec.rev1Only)
    return { status: 'BAD', text: `Not an IMAP4rev2 command (RFC 9051): ${spec.rev1Only}` };
  if (!spec.states.includes(state.kind)) {
    if (state.kind === 'notAuthenticated') return { status: 'BAD', text: 'Log in first' };
    if (spec.states.length === 1 && spec.states[0] === 'selected')
      return { status: 'BAD', text: 'No mailbox selected' };
    return { status: 'BAD', text: 'Command not valid in this state' };
  }
  if (spec.secure && !secure) return { status: 'NO', code: 'PRIVACYREQUIRED', text: 'Use STARTTLS first' };
  if (spec.readWrite && state.kind === 'selected' && state.selected.readOnly) {
    return { status: 'NO', code: 'READ-ONLY', text: 'The mailbox is read-only' };
  }
  return null;
}
