// Standard-mode rules → one readable Sieve script (product-spec §1, RFC 5228). Pure.
//
// The script starts with a marker line and carries each rule, as JSON, in a comment above its code,
// so it can be read back (parse.ts) exactly: a script whose text is not what these rules generate was
// edited by hand and is no longer standard rules. Each rule's name is the comment `# rule: NAME`
// right above its `if`; a disabled rule keeps only its comments.
//
// Mapping (product-spec §1.3): move → fileinto; copy → fileinto :copy; forward → redirect :copy
// (RFC 3894); flag_seen → addflag "\\Seen" and flag → addflag "\\Flagged" (RFC 5232), placed first in
// the rule so the rule's own fileinto carries them; discard; stop.
import {
  OPERATORS_BY_PROPERTY,
  TYPE_HEADER,
  parseSizeValue,
  type Rule,
  type RuleAction,
  type RuleCondition,
} from './model.js';
import { escapeWildcards, isAscii, sieveSize, sieveString } from './sieve-text.js';

export const RULES_MARKER = '# mailstead-rules 1';
export const RULE_DATA_PREFIX = '# mailstead-rule ';

export interface GenerateOptions {
  /** First comment line (who the script is for). */
  readonly title?: string;
}

const DEFAULT_TITLE = 'Mailstead standard rules. Generated: change the rules, not this script.';

const ADDRESS_HEADERS: Partial<Record<RuleCondition['property'], string>> = {
  from: 'from',
  to: 'to',
  cc: 'cc',
  'reply-to': 'reply-to',
};

const TEXT_HEADERS: Partial<Record<RuleCondition['property'], string>> = {
  subject: 'subject',
  'list-id': 'list-id',
  type: TYPE_HEADER.toLowerCase(),
};

/** The text of the Sieve test for one condition; records the capabilities it needs. */
export function conditionTest(c: RuleCondition, requires: Set<string>): string {
  if (!OPERATORS_BY_PROPERTY[c.property].includes(c.operator))
    throw new Error(`operator ${c.operator} does not apply to ${c.property}`);
  if (c.property === 'size') {
    const bytes = parseSizeValue(c.value);
    if (bytes === undefined) throw new Error(`not a size: ${c.value}`);
    return `size :${c.operator === 'over' ? 'over' : 'under'} ${sieveSize(bytes)}`;
  }
  // i;ascii-casemap (the default) folds ASCII only; non-ASCII text needs RFC 5051's comparator.
  let comparator = '';
  if (!isAscii(c.value)) {
    requires.add('comparator-i;unicode-casemap');
    comparator = ' :comparator "i;unicode-casemap"';
  }
  if (c.property === 'body') {
    requires.add('body');
    const t = `body :text${comparator} :contains ${sieveString(c.value)}`;
    return c.operator === 'not' ? `not ${t}` : t;
  }
  const addressHeader = ADDRESS_HEADERS[c.property];
  const header = addressHeader ?? TEXT_HEADERS[c.property]!;
  // Addresses: "contains" looks at the whole field (display names too); the others compare the
  // address itself, so "ends with @example.com" works whatever the display name is.
  const test = addressHeader && c.operator !== 'contains' ? `address :all` : 'header';
  switch (c.operator) {
    case 'contains':
      return `header${comparator} :contains ${sieveString(header)} ${sieveString(c.value)}`;
    case 'is':
      return `${test}${comparator} :is ${sieveString(header)} ${sieveString(c.value)}`;
    case 'not':
      return `not ${test}${comparator} :is ${sieveString(header)} ${sieveString(c.value)}`;
    case 'begin':
      return `${test}${comparator} :matches ${sieveString(header)} ${sieveString(`${escapeWildcards(c.value)}*`)}`;
    case 'end':
      return `${test}${comparator} :matches ${sieveString(header)} ${sieveString(`*${escapeWildcards(c.value)}`)}`;
    default:
      throw new Error(`operator ${c.operator} does not apply to ${c.property}`);
  }
}

const ACTION_ORDER: Record<RuleAction['type'], number> = {
  flag_seen: 0,
  flag: 0,
  move: 1,
  copy: 1,
  forward: 1,
  discard: 1,
  stop: 2,
};

/** The Sieve commands of one rule's actions; flags first, stop last, the rest in the given order. */
export function actionCommands(actions: readonly RuleAction[], requires: Set<string>): string[] {
  const ordered = [...actions].sort((a, b) => ACTION_ORDER[a.type] - ACTION_ORDER[b.type]);
  const out: string[] = [];
  for (const a of ordered) {
    switch (a.type) {
      case 'move':
        requires.add('fileinto');
        out.push(`fileinto ${sieveString(a.value ?? 'INBOX')};`);
        break;
      case 'copy':
        requires.add('fileinto');
        requires.add('copy');
        out.push(`fileinto :copy ${sieveString(a.value ?? 'INBOX')};`);
        break;
      case 'forward':
        requires.add('copy');
        out.push(`redirect :copy ${sieveString(a.value ?? '')};`);
        break;
      case 'flag_seen':
        requires.add('imap4flags');
        out.push('addflag "\\\\Seen";');
        break;
      case 'flag':
        requires.add('imap4flags');
        out.push('addflag "\\\\Flagged";');
        break;
      case 'discard':
        out.push('discard;');
        break;
      case 'stop':
        out.push('stop;');
        break;
    }
  }
  return [...new Set(out)];
}

/** The rule as stored in its data comment: only the fields the model has, in a fixed order. */
export function ruleData(r: Rule): string {
  return JSON.stringify({
    name: r.name,
    enabled: r.enabled,
    allOf: r.allOf,
    conditions: r.conditions.map((c) => ({ property: c.property, operator: c.operator, value: c.value })),
    actions: r.actions.map((a) =>
      a.value === undefined ? { type: a.type } : { type: a.type, value: a.value },
    ),
    ...(r.templateId !== undefined ? { templateId: r.templateId } : {}),
  });
}

/** Generates the script for `rules` (already validated), in order. */
export function generateRulesScript(rules: readonly Rule[], opts: GenerateOptions = {}): string {
  const requires = new Set<string>();
  const blocks: string[] = [];
  rules.forEach((r) => {
    // The name comment sits right above the `if`: the mail log names the rule from it (core/sieve/explain.ts).
    const lines = [`${RULE_DATA_PREFIX}${ruleData(r)}`, `# rule: ${r.name}${r.enabled ? '' : ' (disabled)'}`];
    if (r.enabled) {
      const tests = r.conditions.map((c) => conditionTest(c, requires));
      const body = actionCommands(r.actions, requires).map((c) => `  ${c}`);
      const test =
        tests.length === 0
          ? 'true'
          : tests.length === 1
            ? tests[0]!
            : `${r.allOf ? 'allof' : 'anyof'} (${tests.join(',\n    ')})`;
      lines.push(`if ${test} {`, ...body, '}');
    }
    blocks.push(lines.join('\n'));
  });
  const head = [`# ${opts.title ?? DEFAULT_TITLE}`, RULES_MARKER];
  const req = [...requires].sort();
  if (req.length > 0) head.push(`require [${req.map(sieveString).join(', ')}];`);
  return [head.join('\n'), ...blocks].join('\n\n') + '\n';
}
