// The standard-mode rule model (product-spec §1): conditions on a fixed set of properties, a fixed set
// of operators and actions, named and ordered rules that are enabled or not. Rules are plain JSON
// (the web API sends and receives them as they are); `validateRule` is the one gate they pass.
//
// Decisions on the spec's gaps (§14.1, §14.2):
// - `not` is "is not" (the wording); on the message body, where "is" means nothing, it is
//   "does not contain".
// - size takes `over` / `under` with a number and an optional K, M or G unit (powers of 1024, as in
//   RFC 5228 §2.4.2.1), e.g. "500K", "2M".
// - `forward` keeps a copy (redirect :copy): the KB's example forwards so that "you both get them".
//   Several actions per rule are allowed, as in the API.
// - `list-id` is offered too, for "make a rule from this message" on mailing-list mail.
import { MailError } from '../errors.js';
import { validateFolderName } from '../mailbox/names.js';
import { parseAddress } from '../../wire/address.js';
import { DEFAULT_RULES_LIMITS, type RulesLimits } from './limits.js';

export const RULE_PROPERTIES = [
  'from',
  'to',
  'cc',
  'reply-to',
  'subject',
  'list-id',
  'size',
  'body',
  'type',
] as const;
export type RuleProperty = (typeof RULE_PROPERTIES)[number];

export const RULE_OPERATORS = ['begin', 'contains', 'end', 'is', 'not', 'over', 'under'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

export const RULE_ACTIONS = ['move', 'copy', 'forward', 'flag_seen', 'flag', 'discard', 'stop'] as const;
export type RuleActionType = (typeof RULE_ACTIONS)[number];

const TEXT_OPERATORS: readonly RuleOperator[] = ['begin', 'contains', 'end', 'is', 'not'];

/** Which operators make sense on which property. */
export const OPERATORS_BY_PROPERTY: Readonly<Record<RuleProperty, readonly RuleOperator[]>> = {
  from: TEXT_OPERATORS,
  to: TEXT_OPERATORS,
  cc: TEXT_OPERATORS,
  'reply-to': TEXT_OPERATORS,
  subject: TEXT_OPERATORS,
  'list-id': TEXT_OPERATORS,
  type: TEXT_OPERATORS,
  body: ['contains', 'not'],
  size: ['over', 'under'],
};

/** The header that carries the message type (ham, spam, transactional, bounce, ...), product-spec §1.1. */
export const TYPE_HEADER = 'X-Mailstead-Type';

export interface RuleCondition {
  readonly property: RuleProperty;
  readonly operator: RuleOperator;
  readonly value: string;
}

export interface RuleAction {
  readonly type: RuleActionType;
  /** Folder (move, copy) or address (forward); absent for the others. */
  readonly value?: string;
}

export interface Rule {
  /** Unique per address; rules are addressed by name (product-spec §1.4). */
  readonly name: string;
  readonly enabled: boolean;
  /** true: every condition must match; false: any one. */
  readonly allOf: boolean;
  /** No condition: the rule applies to every message. */
  readonly conditions: readonly RuleCondition[];
  readonly actions: readonly RuleAction[];
  /** The service template this rule was made from, if any. */
  readonly templateId?: string;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i;

/** Size value → bytes, or undefined if it is not a size. */
export function parseSizeValue(value: string): number | undefined {
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()] ?? 1;
  const n = Math.round(Number(m[1]) * mult);
  return Number.isSafeInteger(n) ? n : undefined;
}

const isOneOf = <T extends string>(list: readonly T[], v: unknown): v is T =>
  typeof v === 'string' && (list as readonly string[]).includes(v);

function bad(message: string): MailError {
  return new MailError('INVALID_ARGUMENT', message);
}

/** Checks and normalises a rule from any source (web form, CLI, template); throws INVALID_ARGUMENT. */
export function validateRule(input: unknown, limits: RulesLimits = DEFAULT_RULES_LIMITS): Rule {
  if (typeof input !== 'object' || input === null) throw bad('A rule must be an object');
  const r = input as Record<string, unknown>;
  const name = typeof r['name'] === 'string' ? r['name'].trim().normalize('NFC') : '';
  if (name === '') throw bad('A rule needs a name');
  if ([...name].length > limits.maxRuleNameLength)
    throw bad(`A rule name has at most ${limits.maxRuleNameLength} characters`);
  if (/[\u0000-\u001f\u007f\u2028\u2029]/u.test(name))
    throw bad('A rule name cannot contain control characters');
  const conditions = Array.isArray(r['conditions']) ? r['conditions'] : [];
  const actions = Array.isArray(r['actions']) ? r['actions'] : [];
  if (conditions.length > limits.maxConditions)
    throw bad(`A rule has at most ${limits.maxConditions} conditions`);
  if (actions.length === 0) throw bad(`The rule "${name}" needs at least one action`);
  if (actions.length > limits.maxActions) throw bad(`A rule has at most ${limits.maxActions} actions`);
  const rule: Rule = {
    name,
    enabled: r['enabled'] !== false,
    allOf: r['allOf'] !== false,
    conditions: conditions.map((c) => validateCondition(c, limits)),
    actions: actions.map(validateAction),
    ...(typeof r['templateId'] === 'string' && r['templateId'] !== '' ? { templateId: r['templateId'] } : {}),
  };
  return rule;
}

export function validateCondition(input: unknown, limits: RulesLimits = DEFAULT_RULES_LIMITS): RuleCondition {
  if (typeof input !== 'object' || input === null) throw bad('A condition must be an object');
  const c = input as Record<string, unknown>;
  const property = c['property'];
  const operator = c['operator'];
  const value = c['value'];
  if (!isOneOf(RULE_PROPERTIES, property))
    throw bad(`Unknown property ${String(property)} (one of: ${RULE_PROPERTIES.join(', ')})`);
  if (!isOneOf(RULE_OPERATORS, operator) || !OPERATORS_BY_PROPERTY[property].includes(operator))
    throw bad(
      `Operator ${String(operator)} does not apply to ${property} (use: ${OPERATORS_BY_PROPERTY[property].join(', ')})`,
    );
  if (typeof value !== 'string' || value === '') throw bad(`The condition on ${property} needs a value`);
  if ([...value].length > limits.maxValueLength)
    throw bad(`A condition value has at most ${limits.maxValueLength} characters`);
  if (/[\r\n\0]/.test(value)) throw bad('A condition value is one line of text');
  if (property === 'size' && parseSizeValue(value) === undefined)
    throw bad(`Not a size: ${value} (examples: 500K, 2M, 1048576)`);
  return { property, operator, value: value.normalize('NFC') };
}

export function validateAction(input: unknown): RuleAction {
  if (typeof input !== 'object' || input === null) throw bad('An action must be an object');
  const a = input as Record<string, unknown>;
  const type = a['type'];
  if (!isOneOf(RULE_ACTIONS, type))
    throw bad(`Unknown action ${String(type)} (one of: ${RULE_ACTIONS.join(', ')})`);
  const value = typeof a['value'] === 'string' ? a['value'].trim() : '';
  switch (type) {
    case 'move':
    case 'copy': {
      if (value === '') throw bad(`The action ${type} needs a folder`);
      return { type, value: validateFolderName(value) };
    }
    case 'forward': {
      const p = parseAddress(value);
      if (!p) throw bad(`The action forward needs an email address (got ${JSON.stringify(value)})`);
      return { type, value };
    }
    default:
      if (value !== '') throw bad(`The action ${type} takes no value`);
      return { type };
  }
}
