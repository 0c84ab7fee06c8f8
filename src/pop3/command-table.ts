// Every POP3 command with the states it is valid in (RFC 1939 §3-§7, RFC 2449 §5, RFC 2595 §4,
// RFC 5034 §4). The session checks the state here before calling a handler; `satisfies` makes the
// table exhaustive over the verbs the codec knows.
import type { Pop3Verb } from './proto/command.js';
import type { Pop3Handler } from './session-api.js';
import type { Pop3StateKind } from './state.js';
import { handleAuth } from './commands/auth.js';
import { handleCapa } from './commands/capa.js';
import { handleDele } from './commands/dele.js';
import { handleList, handleUidl } from './commands/list.js';
import { handleNoop } from './commands/noop.js';
import { handlePass } from './commands/pass.js';
import { handleQuit } from './commands/quit.js';
import { handleRetr, handleTop } from './commands/retr.js';
import { handleRset } from './commands/rset.js';
import { handleStat } from './commands/stat.js';
import { handleStls } from './commands/stls.js';
import { handleUser } from './commands/user.js';

export interface CommandSpec {
  states: readonly Pop3StateKind[];
  handler: Pop3Handler;
}

const AUTHORIZATION = ['authorization'] as const;
const TRANSACTION = ['transaction'] as const;
const BOTH = ['authorization', 'transaction'] as const;

export const COMMANDS = {
  USER: { states: AUTHORIZATION, handler: handleUser },
  PASS: { states: AUTHORIZATION, handler: handlePass },
  AUTH: { states: AUTHORIZATION, handler: handleAuth },
  STLS: { states: AUTHORIZATION, handler: handleStls },
  CAPA: { states: BOTH, handler: handleCapa },
  QUIT: { states: BOTH, handler: handleQuit },
  STAT: { states: TRANSACTION, handler: handleStat },
  LIST: { states: TRANSACTION, handler: handleList },
  UIDL: { states: TRANSACTION, handler: handleUidl },
  RETR: { states: TRANSACTION, handler: handleRetr },
  TOP: { states: TRANSACTION, handler: handleTop },
  DELE: { states: TRANSACTION, handler: handleDele },
  NOOP: { states: TRANSACTION, handler: handleNoop },
  RSET: { states: TRANSACTION, handler: handleRset },
} satisfies Record<Pop3Verb, CommandSpec>;

export function isAllowed(spec: CommandSpec, state: Pop3StateKind): boolean {
  return spec.states.includes(state);
}
