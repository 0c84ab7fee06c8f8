// Where the scripts that run at delivery come from, besides the address's own active script:
// the service's rule templates (run first) and the global scope `include :global` reads. Both are
// hooks so a template store can come later without touching the filter.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';

export interface NamedScript {
  name: string;
  source: string;
}

/** Scripts run before the address's own, in order (the service administrator's templates). */
export type TemplateSource = (core: Core, account: Account) => Promise<NamedScript[]>;

/** The source of a global script by name (`include :global "name"`), or undefined when there is none. */
export type GlobalScriptSource = (core: Core, name: string) => Promise<string | undefined>;

/** No templates yet: every address runs its own script only. */
export const noTemplates: TemplateSource = async () => [];

/** Global scripts live in the key-value store, without expiry, one key per name. */
export const GLOBAL_SCRIPTS_NS = 'sieve-global';

export const kvGlobalScripts: GlobalScriptSource = (core, name) => core.store.kv.get(GLOBAL_SCRIPTS_NS, name);

/** Stores (or with null removes) a global script; callers compile-check it first. */
export async function putGlobalScript(core: Core, name: string, source: string | null): Promise<void> {
  if (source === null) await core.store.kv.delete(GLOBAL_SCRIPTS_NS, name);
  else await core.store.kv.set(GLOBAL_SCRIPTS_NS, name, source);
}
