// Service-wide rule templates (product-spec §1.6; issue 5 "Templates"): an administrator defines a
// name and conditions; users make rules from the visible ones and pick the action. A template may also
// be applied to every address of the service, with actions the administrator chose: those run before
// each address's own script.
//
// Storage: the key-value role, namespace "rules.templates", key = the service id, value = JSON
// `{ "templates": RuleTemplate[] }`, no expiry, changed in one transaction (read, change, write). One
// value per service keeps the list ordered and needs no listing support from the store; the size is
// bounded by RulesLimits.maxTemplates.
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import type { StoreRoles } from '../../store/ports.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from './limits.js';
import {
  validateAction,
  validateCondition,
  validateRule,
  type Rule,
  type RuleAction,
  type RuleCondition,
} from './model.js';
import { generateRulesScript } from './generate.js';

export const TEMPLATES_NS = 'rules.templates';

export interface RuleTemplate {
  readonly id: string;
  readonly name: string;
  /** Suggested to users in their rules page. */
  readonly visible: boolean;
  readonly allOf: boolean;
  readonly conditions: readonly RuleCondition[];
  /** The actions used when the template is applied to every address (may be empty otherwise). */
  readonly actions: readonly RuleAction[];
  /** Runs for every address of the service, before the address's own script. */
  readonly appliedToAll: boolean;
  readonly createdAt: number;
}

export type TemplateInput = Partial<Omit<RuleTemplate, 'id' | 'createdAt'>>;

async function read(roles: StoreRoles, serviceId: number): Promise<RuleTemplate[]> {
  const v = await roles.kv.get(TEMPLATES_NS, String(serviceId));
  if (v === undefined) return [];
  const parsed = JSON.parse(v) as { templates?: RuleTemplate[] };
  return parsed.templates ?? [];
}

async function write(roles: StoreRoles, serviceId: number, list: readonly RuleTemplate[]): Promise<void> {
  await roles.kv.set(TEMPLATES_NS, String(serviceId), JSON.stringify({ templates: list }));
}

function check(t: RuleTemplate, limits: RulesLimits): RuleTemplate {
  // A template is a rule without its owner: the same checks, actions optional unless applied.
  const asRule = validateRule(
    {
      name: t.name,
      allOf: t.allOf,
      conditions: t.conditions,
      actions: t.actions.length ? t.actions : [{ type: 'stop' }],
    },
    limits,
  );
  if (t.appliedToAll && t.actions.length === 0)
    throw new MailError('INVALID_ARGUMENT', 'A template applied to every address needs actions');
  if (t.conditions.length === 0)
    throw new MailError('INVALID_ARGUMENT', 'A template needs at least one condition');
  return {
    ...t,
    name: asRule.name,
    conditions: t.conditions.map((c) => validateCondition(c, limits)),
    actions: t.actions.map(validateAction),
  };
}

export async function listTemplates(
  core: Core,
  serviceId: number,
  opts: { visibleOnly?: boolean } = {},
): Promise<RuleTemplate[]> {
  const all = await read(core.store, serviceId);
  return opts.visibleOnly ? all.filter((t) => t.visible) : all;
}

export async function addTemplate(
  core: Core,
  serviceId: number,
  input: TemplateInput,
  limits: RulesLimits = DEFAULT_RULES_LIMITS,
): Promise<RuleTemplate> {
  const t = check(
    {
      id: randomBytes(6).toString('hex'),
      name: input.name ?? '',
      visible: input.visible ?? true,
      allOf: input.allOf ?? true,
      conditions: input.conditions ?? [],
      actions: input.actions ?? [],
      appliedToAll: input.appliedToAll ?? false,
      createdAt: core.now(),
    },
    limits,
  );
  return core.store.transaction(async (tx) => {
    const list = await read(tx, serviceId);
    if (list.length >= limits.maxTemplates)
      throw new MailError('PLAN_LIMIT', `At most ${limits.maxTemplates} rule templates per mail service`);
    if (list.some((x) => x.name.toLowerCase() === t.name.toLowerCase()))
      throw new MailError('ALREADY_EXISTS', `There is already a template named "${t.name}"`);
    await write(tx, serviceId, [...list, t]);
    return t;
  });
}

function findIndex(list: readonly RuleTemplate[], idOrName: string): number {
  const i = list.findIndex((t) => t.id === idOrName || t.name.toLowerCase() === idOrName.toLowerCase());
  if (i < 0) throw new MailError('NOT_FOUND', `There is no template ${idOrName}`);
  return i;
}

export async function updateTemplate(
  core: Core,
  serviceId: number,
  idOrName: string,
  patch: TemplateInput,
  limits: RulesLimits = DEFAULT_RULES_LIMITS,
): Promise<RuleTemplate> {
  return core.store.transaction(async (tx) => {
    const list = await read(tx, serviceId);
    const i = findIndex(list, idOrName);
    const t = check({ ...list[i]!, ...patch }, limits);
    if (list.some((x, j) => j !== i && x.name.toLowerCase() === t.name.toLowerCase()))
      throw new MailError('ALREADY_EXISTS', `There is already a template named "${t.name}"`);
    const next = [...list];
    next[i] = t;
    await write(tx, serviceId, next);
    return t;
  });
}

export async function removeTemplate(core: Core, serviceId: number, idOrName: string): Promise<void> {
  await core.store.transaction(async (tx) => {
    const list = await read(tx, serviceId);
    const i = findIndex(list, idOrName);
    await write(
      tx,
      serviceId,
      list.filter((_, j) => j !== i),
    );
  });
}

/** A user's rule made from a template: its conditions, the user's actions (product-spec §1.6). */
export function ruleFromTemplate(t: RuleTemplate, actions: readonly RuleAction[], name = t.name): Rule {
  return validateRule({
    name,
    enabled: true,
    allOf: t.allOf,
    conditions: t.conditions,
    actions,
    templateId: t.id,
  });
}

/** The Sieve script of the templates applied to every address, or null when there are none. */
export async function serviceTemplatesScript(core: Core, serviceId: number): Promise<string | null> {
  const applied = (await read(core.store, serviceId)).filter((t) => t.appliedToAll && t.actions.length > 0);
  if (applied.length === 0) return null;
  const rules = applied.map((t) =>
    validateRule({
      name: t.name,
      enabled: true,
      allOf: t.allOf,
      conditions: t.conditions,
      actions: t.actions,
      templateId: t.id,
    }),
  );
  return generateRulesScript(rules, {
    title: "Mailstead service rule templates, run before each address's own rules.",
  });
}

/**
 * The delivery host's template hook (src/core/sieve `TemplateSource`): the service's applied templates
 * as one script, run before the address's own. Wire as `createSieveFilter({ templates: serviceTemplateScripts })`.
 */
export async function serviceTemplateScripts(
  core: Core,
  account: { serviceId: number },
): Promise<Array<{ name: string; source: string }>> {
  const source = await serviceTemplatesScript(core, account.serviceId);
  return source === null ? [] : [{ name: 'service', source }];
}
