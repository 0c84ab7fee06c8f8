// Sieve scripts of one address, the way ManageSieve (RFC 5804) and the web UI's advanced mode see
// them: at most one active, each compile-checked before it is stored, bounded in number and size.
// The standard-mode rules live in one of these scripts (RULES_SCRIPT), generated from the rules; it
// can be read like any other but only written as rules (a raw edit would be lost on the next save).
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import type { SieveScriptRecord, StoreRoles } from '../../store/ports.js';
import {
  assertAdvancedAllowed,
  assertMayChange,
  rulesOwner,
  type RulesActor,
  type RulesOwner,
} from './access.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from './limits.js';
import { RULES_SCRIPT, validateScriptName } from './script-names.js';
import { checkSieveSource, formatDiagnostic, type ScriptCheckOptions } from './validate.js';
import { includeKey, mapLoader, preloadIncludes } from '../../sieve/index.js';
import { GLOBAL_SCRIPTS_NS } from '../sieve/script-sources.js';
import { generateRulesScript } from './generate.js';
import { parseRulesScript } from './parse.js';

export interface ScriptInfo {
  readonly name: string;
  readonly active: boolean;
  /** UTF-8 bytes. */
  readonly size: number;
  readonly updatedAt: number;
}

export interface ScriptOptions {
  /** Default 'user': subject to the administrator's lock. */
  readonly actor?: RulesActor;
  readonly limits?: Partial<RulesLimits>;
}

export interface PutResult {
  /** Compiler warnings, "line L, column C: message". */
  readonly warnings: string[];
}

function limitsOf(opts: ScriptOptions): RulesLimits {
  return { ...DEFAULT_RULES_LIMITS, ...opts.limits };
}

const info = (r: SieveScriptRecord): ScriptInfo => ({
  name: r.name,
  active: r.active,
  size: Buffer.byteLength(r.source, 'utf8'),
  updatedAt: r.updatedAt,
});

export async function listScripts(core: Core, addressId: number): Promise<ScriptInfo[]> {
  return (await core.store.sieve.list(addressId)).map(info);
}

export async function getScript(core: Core, addressId: number, name: string): Promise<SieveScriptRecord> {
  const r = await core.store.sieve.get(addressId, name.normalize('NFC'));
  if (!r) throw notFound(name);
  return r;
}

export async function activeScript(core: Core, addressId: number): Promise<SieveScriptRecord | undefined> {
  return core.store.sieve.getActive(addressId);
}

/** Compiles without storing (ManageSieve CHECKSCRIPT); throws like putScript would. */
export async function checkScript(
  core: Core,
  addressId: number,
  source: string,
  opts: ScriptOptions = {},
): Promise<PutResult> {
  const owner = await rulesOwner(core.store, addressId);
  const r = checkSieveSource(source, {
    maxScriptSize: limitsOf(opts).maxScriptSize,
    forwarding: forwarding(owner),
    include: await includeChecks(core.store, addressId, source, null, { uploaded: true }),
  });
  return { warnings: r.warnings.map(formatDiagnostic) };
}

/**
 * Whether a script of `size` bytes could be stored under `name` (ManageSieve HAVESPACE, RFC 5804
 * §2.5): throws OVER_QUOTA with context.quota 'maxsize' or 'maxscripts' when not.
 */
export async function haveSpace(
  core: Core,
  addressId: number,
  name: string,
  size: number,
  opts: ScriptOptions = {},
): Promise<void> {
  const limits = limitsOf(opts);
  const clean = validateScriptName(name, limits.maxNameLength);
  await rulesOwner(core.store, addressId);
  if (size > limits.maxScriptSize) throw tooBig(size, limits);
  const existing = await core.store.sieve.list(addressId);
  if (!existing.some((s) => s.name === clean) && existing.length >= limits.maxScripts) throw tooMany(limits);
}

/** Stores (creates or replaces) a script after checking it; an active script stays active. */
export async function putScript(
  core: Core,
  addressId: number,
  name: string,
  source: string,
  opts: ScriptOptions = {},
): Promise<PutResult> {
  const limits = limitsOf(opts);
  const clean = validateScriptName(name, limits.maxNameLength);
  return core.store.transaction(async (tx) => {
    const owner = await rulesOwner(tx, addressId);
    assertMayChange(owner, opts.actor ?? 'user');
    let stored = source;
    if (clean === RULES_SCRIPT) {
      // The rules script is data: accept it back only as rules (a client saving what it downloaded).
      const rules = parseRulesScript(source);
      if (!rules)
        throw new MailError(
          'INVALID_ARGUMENT',
          `The name ${RULES_SCRIPT} is kept for the standard rules; store your script under another name`,
        );
      stored = generateRulesScript(rules);
    } else {
      assertAdvancedAllowed(owner);
    }
    const existing = await tx.sieve.list(addressId);
    // Replacing the active script: a circular include is an error, as at activation.
    const activated = existing.some((s) => s.name === clean && s.active);
    const checked = checkSieveSource(stored, {
      maxScriptSize: limits.maxScriptSize,
      forwarding: forwarding(owner),
      include: await includeChecks(tx, addressId, stored, clean, { uploaded: true, activated }),
    });
    if (!existing.some((s) => s.name === clean) && existing.length >= limits.maxScripts)
      throw tooMany(limits);
    await tx.sieve.put(addressId, clean, stored);
    return { warnings: checked.warnings.map(formatDiagnostic) };
  });
}

/** Deletes a script; the active one cannot be deleted (RFC 5804 §2.10: NO (ACTIVE)). */
export async function deleteScript(
  core: Core,
  addressId: number,
  name: string,
  opts: ScriptOptions = {},
): Promise<void> {
  await core.store.transaction(async (tx) => {
    const owner = await rulesOwner(tx, addressId);
    assertMayChange(owner, opts.actor ?? 'user');
    const s = await existing(tx, addressId, name);
    if (s.active)
      throw new MailError('INVALID_ARGUMENT', 'This script is active; deactivate it first', false, {
        reason: 'active',
      });
    await tx.sieve.delete(addressId, s.name);
  });
}

/** Renames a script, keeping it active if it was (RFC 5804 §2.11.1). */
export async function renameScript(
  core: Core,
  addressId: number,
  from: string,
  to: string,
  opts: ScriptOptions = {},
): Promise<void> {
  const limits = limitsOf(opts);
  const target = validateScriptName(to, limits.maxNameLength);
  await core.store.transaction(async (tx) => {
    const owner = await rulesOwner(tx, addressId);
    assertMayChange(owner, opts.actor ?? 'user');
    const s = await existing(tx, addressId, from);
    if (s.name === RULES_SCRIPT || target === RULES_SCRIPT)
      throw new MailError(
        'INVALID_ARGUMENT',
        `The script ${RULES_SCRIPT} holds the standard rules; it keeps its name`,
      );
    if (s.name === target) return;
    if (await tx.sieve.get(addressId, target))
      throw new MailError('ALREADY_EXISTS', `A script named ${target} already exists`);
    await tx.sieve.rename(addressId, s.name, target);
  });
}

/**
 * Makes `name` the active script, or deactivates every script with null (RFC 5804 §2.8). Activating
 * a script of your own is advanced mode (not on every plan); activating RULES_SCRIPT is standard mode.
 */
export async function setActiveScript(
  core: Core,
  addressId: number,
  name: string | null,
  opts: ScriptOptions = {},
): Promise<void> {
  const limits = limitsOf(opts);
  await core.store.transaction(async (tx) => {
    const owner = await rulesOwner(tx, addressId);
    assertMayChange(owner, opts.actor ?? 'user');
    if (name === null) return tx.sieve.setActive(addressId, null);
    const s = await existing(tx, addressId, name);
    if (s.name !== RULES_SCRIPT) assertAdvancedAllowed(owner);
    // Recompile: the engine or the plan may have changed since the script was stored.
    checkSieveSource(s.source, {
      maxScriptSize: Math.max(limits.maxScriptSize, s.source.length * 4),
      forwarding: forwarding(owner),
      // Not an upload: a missing or circular include is an error (Pigeonhole's SETACTIVE).
      include: await includeChecks(tx, addressId, s.source, s.name, { uploaded: false }),
    });
    await tx.sieve.setActive(addressId, s.name);
  });
}

/**
 * Compile-time include checks (as Pigeonhole): the scripts `source` can reach through
 * `include` (this address's own, and the global ones) are read first, since the compiler's
 * loader is synchronous. A script stored under `name` includes its new self.
 */
async function includeChecks(
  store: StoreRoles,
  addressId: number,
  source: string,
  name: string | null,
  flags: { uploaded: boolean; activated?: boolean },
): Promise<ScriptCheckOptions['include']> {
  const self = name === null ? null : includeKey('personal', name);
  const map = await preloadIncludes(
    source,
    {},
    async (location, script) =>
      location === 'personal'
        ? (await store.sieve.get(addressId, script))?.source
        : store.kv.get(GLOBAL_SCRIPTS_NS, script),
    self ? { known: new Map([[self, source]]) } : {},
  );
  return {
    includeLoader: mapLoader(map),
    uploaded: flags.uploaded,
    activated: flags.activated ?? false,
    includeChain: self ? [self] : [],
  };
}

function forwarding(owner: RulesOwner): boolean {
  return owner.plan.maxForwardTargets > 0;
}

async function existing(tx: StoreRoles, addressId: number, name: string): Promise<SieveScriptRecord> {
  const s = await tx.sieve.get(addressId, name.normalize('NFC'));
  if (!s) throw notFound(name);
  return s;
}

function notFound(name: string): MailError {
  return new MailError('NOT_FOUND', `There is no script named ${name}`);
}

function tooBig(size: number, limits: RulesLimits): MailError {
  return new MailError(
    'OVER_QUOTA',
    `A script may have at most ${limits.maxScriptSize} bytes (asked: ${size})`,
    false,
    {
      quota: 'maxsize',
    },
  );
}

function tooMany(limits: RulesLimits): MailError {
  return new MailError('OVER_QUOTA', `At most ${limits.maxScripts} scripts may be stored`, false, {
    quota: 'maxscripts',
  });
}
