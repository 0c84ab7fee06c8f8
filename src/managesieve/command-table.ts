// Every command, the states it is allowed in (RFC 5804 §2), and its handler.
import type { CommandHandler, SessionState } from './session-api.js';
import { handleAuthenticate } from './commands/authenticate.js';
import { handleCapability } from './commands/capability.js';
import { handleCheckScript } from './commands/checkscript.js';
import { handleDeleteScript } from './commands/deletescript.js';
import { handleGetScript } from './commands/getscript.js';
import { handleHaveSpace } from './commands/havespace.js';
import { handleListScripts } from './commands/listscripts.js';
import { handleLogout } from './commands/logout.js';
import { handleNoop } from './commands/noop.js';
import { handlePutScript } from './commands/putscript.js';
import { handleRenameScript } from './commands/renamescript.js';
import { handleSetActive } from './commands/setactive.js';
import { handleStartTls } from './commands/starttls.js';
import { handleUnauthenticate } from './commands/unauthenticate.js';

type State = Exclude<SessionState['kind'], 'logout'>;

export interface CommandSpec {
  readonly handler: CommandHandler;
  readonly states: readonly State[];
}

const ANY: readonly State[] = ['nonAuthenticated', 'authenticated'];
const PRE: readonly State[] = ['nonAuthenticated'];
const AUTH: readonly State[] = ['authenticated'];

export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  CAPABILITY: { handler: handleCapability, states: ANY },
  LOGOUT: { handler: handleLogout, states: ANY },
  NOOP: { handler: handleNoop, states: ANY },
  STARTTLS: { handler: handleStartTls, states: PRE },
  AUTHENTICATE: { handler: handleAuthenticate, states: PRE },
  UNAUTHENTICATE: { handler: handleUnauthenticate, states: AUTH },
  HAVESPACE: { handler: handleHaveSpace, states: AUTH },
  PUTSCRIPT: { handler: handlePutScript, states: AUTH },
  CHECKSCRIPT: { handler: handleCheckScript, states: AUTH },
  LISTSCRIPTS: { handler: handleListScripts, states: AUTH },
  SETACTIVE: { handler: handleSetActive, states: AUTH },
  GETSCRIPT: { handler: handleGetScript, states: AUTH },
  DELETESCRIPT: { handler: handleDeleteScript, states: AUTH },
  RENAMESCRIPT: { handler: handleRenameScript, states: AUTH },
};

export function lookupCommand(name: string): CommandSpec | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}
