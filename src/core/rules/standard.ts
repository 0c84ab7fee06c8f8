// Standard mode (product-spec §1.4, §1.7): the address's rules as data, stored as the generated script
// RULES_SCRIPT. Every change rewrites that script in one transaction; saving creates the folders the
// rules file into. Advanced mode = another script is active: the rules are kept but do not run.
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import { createFolder, getFolder } from '../mailbox/folders.js';
import type { StoreRoles } from '../../store/ports.js';
import { assertMayChange, rulesOwner, type RulesActor } from './access.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from './limits.js';
import { validateRule, type Rule } from './model.js';
import { generateRulesScript } from './generate.js';
import { parseRulesScript } from './parse.js';
import { RULES_SCRIPT } from './script-names.js';
import { checkSieveSource } from './validate.js';

export type RulesMode = 'standard' | 'advanced' | 'off';

export interface RulesView {
  readonly rules: Rule[];
  /** standard: the rules run; advanced: the user's own script runs (rules kept, not run); off: nothing runs. */
  readonly mode: RulesMode;
  /** Name of the active script, if any. */
  readonly activeScript: string | null;
  /** The plan allows advanced mode (product-spec `prevent_script` negated). */
  readonly advancedAllowed: boolean;
  /** The user may change rules (the administrator did not lock them). */
  readonly canManageRules: boolean;
  /** The generated Sieve of the rules. */
  readonly script: string;
}

export interface RulesChangeOptions {
  readonly actor?: RulesActor;
  readonly limits?: Partial<RulesLimits>;
}

async function readRules(roles: StoreRoles, addressId: number): Promise<Rule[]> {
  const s = await roles.sieve.get(addressId, RULES_SCRIPT);
  if (!s) return [];
  const rules = parseRulesScript(s.source);
  if (!rules) throw new MailError('TEMPORARY_FAILURE', `The script ${RULES_SCRIPT} is not readable as rules`);
  return rules;
}

export async function getRules(core: Core, addressId: number): Promise<RulesView> {
  const owner = await rulesOwner(core.store, addressId);
  const rules = await readRules(core.store, addressId);
  const active = await core.store.sieve.getActive(addressId);
  return {
    rules,
    mode: !active ? 'off' : active.name === RULES_SCRIPT ? 'standard' : 'advanced',
    activeScript: active?.name ?? null,
    advancedAllowed: owner.plan.advancedSieve,
    canManageRules: owner.record.canManageRules,
    script: generateRulesScript(rules),
  };
}

export async function listRules(core: Core, addressId: number): Promise<Rule[]> {
  return readRules(core.store, addressId);
}

/**
 * Replaces the whole list (the other operations are made of this one). Checks every rule, unique
 * names, limits and the plan; creates missing target folders; activates the rules when no script is
 * active (a first rule turns filtering on; an advanced script stays in charge).
 */
export async function saveRules(
  core: Core,
  addressId: number,
  input: readonly unknown[],
  opts: RulesChangeOptions = {},
): Promise<Rule[]> {
  const limits = { ...DEFAULT_RULES_LIMITS, ...opts.limits };
  const owner = await rulesOwner(core.store, addressId);
  assertMayChange(owner, opts.actor ?? 'user');
  const rules = checkRules(input, limits, owner.plan.maxForwardTargets > 0);
  for (const folder of targetFolders(rules)) {
    if (!(await getFolder(core, addressId, folder))) {
      try {
        await createFolder(core, addressId, folder, { subscribe: true });
      } catch (e) {
        if (!(e instanceof MailError && e.code === 'MAILBOX_EXISTS')) throw e;
      }
    }
  }
  const source = generateRulesScript(rules);
  checkSieveSource(source, {
    maxScriptSize: Math.max(limits.maxScriptSize, Buffer.byteLength(source)),
    forwarding: true,
  });
  await core.store.transaction(async (tx) => {
    assertMayChange(await rulesOwner(tx, addressId), opts.actor ?? 'user');
    const existing = await tx.sieve.list(addressId);
    if (!existing.some((s) => s.name === RULES_SCRIPT) && existing.length >= limits.maxScripts)
      throw new MailError('OVER_QUOTA', `At most ${limits.maxScripts} scripts may be stored`, false, {
        quota: 'maxscripts',
      });
    await tx.sieve.put(addressId, RULES_SCRIPT, source);
    if (!existing.some((s) => s.active)) await tx.sieve.setActive(addressId, RULES_SCRIPT);
  });
  return rules;
}

export function checkRules(input: readonly unknown[], limits: RulesLimits, forwarding: boolean): Rule[] {
  if (input.length > limits.maxRules)
    throw new MailError('PLAN_LIMIT', `At most ${limits.maxRules} rules per address`);
  const rules = input.map((r) => validateRule(r, limits));
  const seen = new Set<string>();
  for (const r of rules) {
    const key = r.name.toLowerCase();
    if (seen.has(key)) throw new MailError('ALREADY_EXISTS', `There is already a rule named "${r.name}"`);
    seen.add(key);
    if (!forwarding && r.actions.some((a) => a.type === 'forward'))
      throw new MailError('PLAN_LIMIT', 'Forwarding is not available on this plan');
  }
  return rules;
}

function targetFolders(rules: readonly Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const a of r.actions)
      if ((a.type === 'move' || a.type === 'copy') && a.value && a.value !== 'INBOX') out.add(a.value);
  return [...out];
}

function indexOf(rules: readonly Rule[], name: string): number {
  const i = rules.findIndex((r) => r.name.toLowerCase() === name.trim().normalize('NFC').toLowerCase());
  if (i < 0) throw new MailError('NOT_FOUND', `There is no rule named "${name}"`);
  return i;
}

/** Adds a rule at `position` (0-based; default: last). */
export async function addRule(
  core: Core,
  addressId: number,
  rule: unknown,
  opts: RulesChangeOptions & { position?: number } = {},
): Promise<Rule> {
  const rules: unknown[] = await listRules(core, addressId);
  const at = Math.max(0, Math.min(opts.position ?? rules.length, rules.length));
  rules.splice(at, 0, rule);
  return (await saveRules(core, addressId, rules, opts))[at]!;
}

/** Replaces the rule named `oldName` (it may be renamed), keeping its place. */
export async function updateRule(
  core: Core,
  addressId: number,
  oldName: string,
  rule: unknown,
  opts: RulesChangeOptions = {},
): Promise<Rule> {
  const rules: unknown[] = await listRules(core, addressId);
  const i = indexOf(rules as Rule[], oldName);
  rules[i] = rule;
  return (await saveRules(core, addressId, rules, opts))[i]!;
}

export async function removeRule(
  core: Core,
  addressId: number,
  name: string,
  opts: RulesChangeOptions = {},
): Promise<void> {
  const rules = await listRules(core, addressId);
  rules.splice(indexOf(rules, name), 1);
  await saveRules(core, addressId, rules, opts);
}

export async function setRuleEnabled(
  core: Core,
  addressId: number,
  name: string,
  enabled: boolean,
  opts: RulesChangeOptions = {},
): Promise<void> {
  const rules = await listRules(core, addressId);
  const i = indexOf(rules, name);
  rules[i] = { ...rules[i]!, enabled };
  await saveRules(core, addressId, rules, opts);
}

/** Puts the rules in the given order; `names` must list every rule once. */
export async function reorderRules(
  core: Core,
  addressId: number,
  names: readonly string[],
  opts: RulesChangeOptions = {},
): Promise<void> {
  const rules = await listRules(core, addressId);
  if (names.length !== rules.length)
    throw new MailError('INVALID_ARGUMENT', `Give all ${rules.length} rule names, each once`);
  const ordered = names.map((n) => rules[indexOf(rules, n)]!);
  if (new Set(ordered).size !== ordered.length)
    throw new MailError('INVALID_ARGUMENT', 'A rule is named twice');
  await saveRules(core, addressId, ordered, opts);
}

/** Back to standard mode: the rules script (created empty if needed) becomes the active one. */
export async function useStandardMode(
  core: Core,
  addressId: number,
  opts: RulesChangeOptions = {},
): Promise<void> {
  const owner = await rulesOwner(core.store, addressId);
  assertMayChange(owner, opts.actor ?? 'user');
  if (!(await core.store.sieve.get(addressId, RULES_SCRIPT))) await saveRules(core, addressId, [], opts);
  await core.store.sieve.setActive(addressId, RULES_SCRIPT);
}
