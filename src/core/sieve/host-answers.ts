// The delivery host's answers to the questions the Sieve runtime yields (src/sieve `SieveEvent`):
// folders from the mail store, duplicate memory from the key-value store, included scripts from
// the address's scripts or the global scope, the environment and the clock from the Core.
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import { getFolder } from '../mailbox/folders.js';
import type { IncludeAnswer, SieveEvent } from '../../sieve/index.js';
import type { ScriptText } from './explain.js';
import type { ScriptCache } from './script-cache.js';
import type { GlobalScriptSource } from './script-sources.js';

const DUPLICATE_NS = 'sieve-duplicate';

export interface HostContext {
  core: Core;
  account: Account;
  cache: ScriptCache;
  globalScripts: GlobalScriptSource;
  /** RFC 5183 items beyond the built-in ones (or overriding them). */
  environment: Readonly<Record<string, string>>;
}

export class SieveHost {
  /** Duplicate ids asked with `:last` (their expiry moves on every sighting, RFC 7352 §3.2). */
  private readonly lastIds = new Set<string>();
  /** Ids already seen before this message (their memory is not extended without `:last`). */
  private readonly seenIds = new Set<string>();

  /** Scripts loaded by include, by name (for the explanations). */
  readonly includedScripts = new Map<string, ScriptText>();

  constructor(private readonly ctx: HostContext) {}

  async answer(ev: SieveEvent): Promise<unknown> {
    const { core, account } = this.ctx;
    switch (ev.type) {
      case 'mailbox-exists':
        return (await getFolder(core, account.addressId, ev.mailbox)) !== undefined;
      case 'special-use-exists': {
        const flag = ev.flag.toLowerCase();
        if (ev.mailbox !== null) {
          const box = await getFolder(core, account.addressId, ev.mailbox);
          return box?.specialUse?.toLowerCase() === flag;
        }
        const boxes = await core.store.mail.listMailboxes(account.addressId);
        return boxes.some((b) => b.specialUse?.toLowerCase() === flag);
      }
      case 'duplicate': {
        if (ev.last) this.lastIds.add(ev.id);
        const until = await core.store.kv.get(DUPLICATE_NS, this.key(ev.id));
        const seen = until !== undefined && Number(until) > core.now();
        if (seen) this.seenIds.add(ev.id);
        return seen;
      }
      case 'include':
        return this.include(ev.location, ev.name);
      case 'environment':
        return this.environment(ev.name);
      case 'current-date':
        return new Date(core.now());
      case 'metadata':
        return null;
    }
  }

  private key(id: string): string {
    return `${this.ctx.account.addressId}:${id}`;
  }

  /**
   * Records the duplicate ids of a successful run. The expiry is kept as the value and compared
   * with core.now(), so a moved clock (tests, a lagging host) judges consistently; the row's own
   * ttl only lets the store purge it.
   */
  async recordDuplicates(marks: readonly { id: string; seconds: number }[]): Promise<void> {
    const { core } = this.ctx;
    for (const m of marks) {
      if (this.seenIds.has(m.id) && !this.lastIds.has(m.id)) continue;
      const ttl = m.seconds * 1000;
      await core.store.kv.set(DUPLICATE_NS, this.key(m.id), String(core.now() + ttl), ttl + 3_600_000);
    }
  }

  private async include(location: 'personal' | 'global', name: string): Promise<IncludeAnswer> {
    const { core, account, cache } = this.ctx;
    const source =
      location === 'personal'
        ? (await core.store.sieve.get(account.addressId, name))?.source
        : await this.ctx.globalScripts(core, name);
    if (source === undefined) return { ok: false, missing: true };
    const r = cache.compile(source, name, true);
    if (!r.ok)
      return {
        ok: false,
        missing: false,
        error: r.errors.map((e) => `line ${e.line}: ${e.message}`).join('; '),
      };
    this.includedScripts.set(name, { source, compiled: r.script });
    return { ok: true, script: r.script };
  }

  private environment(name: string): string | null {
    const own = this.ctx.environment[name];
    if (own !== undefined) return own;
    switch (name) {
      case 'domain':
        return this.ctx.account.domain;
      case 'host':
        return this.ctx.core.hostname;
      case 'location':
        return 'MDA';
      case 'phase':
        return 'during';
      case 'name':
        return 'Mailstead';
      default:
        return null;
    }
  }
}
