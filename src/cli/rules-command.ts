// `mailstead admin rules …` and `mailstead admin sieve …`: an address's standard rules, the service's
// rule templates and raw Sieve scripts from the shell. The administrator acts here, so the lock that
// takes the right to edit rules away from a user does not apply; plan limits do.
//
//   rules list ADDRESS
//   rules add ADDRESS NAME --if "PROPERTY OPERATOR VALUE"... --then "ACTION [VALUE]"... [--any] [--disabled] [--position N]
//   rules remove|enable|disable ADDRESS NAME
//   rules reorder ADDRESS NAME...
//   rules show-sieve ADDRESS                 the generated Sieve of the rules
//   rules standard ADDRESS                   run the standard rules (leave advanced mode)
//   rules template list DOMAIN
//   rules template add DOMAIN NAME --if ...  [--any] [--hidden] [--apply --then ...]
//   rules template remove DOMAIN NAME
//   sieve list ADDRESS
//   sieve import ADDRESS FILE [--name NAME] [--activate]
//   sieve export ADDRESS [NAME]              the active script when no name is given
//   sieve activate ADDRESS NAME | sieve deactivate ADDRESS
//   sieve remove ADDRESS NAME
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { Core } from '../core/context.js';
import { findLoginAddress } from '../core/directory/accounts.js';
import { MailError } from '../core/errors.js';
import {
  addRule,
  addTemplate,
  activeScript,
  getRules,
  getScript,
  listScripts,
  listTemplates,
  putScript,
  removeRule,
  removeTemplate,
  reorderRules,
  deleteScript,
  setActiveScript,
  setRuleEnabled,
  useStandardMode,
  type Rule,
  type RuleAction,
  type RuleCondition,
} from '../core/rules/index.js';
import { normaliseDomain } from '../wire/address.js';
import { parseArgs, UsageError } from './args.js';

export const RULES_USAGE = `usage: mailstead admin rules|sieve <command> ... --config FILE

  rules list ADDRESS
  rules add ADDRESS NAME --if "PROPERTY OPERATOR VALUE"... --then "ACTION [VALUE]"...
            [--any] [--disabled] [--position N]
      PROPERTY  from to cc reply-to subject list-id body size type
      OPERATOR  begin contains end is not (size: over under, e.g. "size over 5M")
      ACTION    move FOLDER | copy FOLDER | forward ADDRESS | flag_seen | flag | discard | stop
  rules remove|enable|disable ADDRESS NAME
  rules reorder ADDRESS NAME...
  rules show-sieve ADDRESS
  rules standard ADDRESS              run the standard rules again (leaves advanced mode)
  rules template list DOMAIN
  rules template add DOMAIN NAME --if ... [--any] [--hidden] [--apply --then ...]
  rules template remove DOMAIN NAME
  sieve list ADDRESS
  sieve import ADDRESS FILE [--name NAME] [--activate]
  sieve export ADDRESS [NAME]
  sieve activate ADDRESS NAME | sieve deactivate ADDRESS | sieve remove ADDRESS NAME`;

type Out = (line: string) => void;

const ADMIN = { actor: 'admin' as const };

const OPERATOR_ALIASES: Record<string, string> = {
  begins: 'begin',
  'begins-with': 'begin',
  starts: 'begin',
  'starts-with': 'begin',
  ends: 'end',
  'ends-with': 'end',
  'is-not': 'not',
  isnot: 'not',
  'does-not-contain': 'not',
};

const ACTION_ALIASES: Record<string, string> = {
  'mark-read': 'flag_seen',
  read: 'flag_seen',
  seen: 'flag_seen',
  delete: 'discard',
  redirect: 'forward',
  fileinto: 'move',
};

/** "subject contains big news" → {subject, contains, "big news"}; validated later by the domain. */
export function parseCondition(text: string): RuleCondition {
  const m = /^\s*(\S+)\s+(\S+)\s+(.+?)\s*$/.exec(text);
  if (!m) throw new UsageError(`a condition is "PROPERTY OPERATOR VALUE", got ${JSON.stringify(text)}`);
  const op = m[2]!.toLowerCase();
  return {
    property: m[1]!.toLowerCase() as RuleCondition['property'],
    operator: (OPERATOR_ALIASES[op] ?? op) as RuleCondition['operator'],
    value: m[3]!,
  };
}

export function parseAction(text: string): RuleAction {
  const m = /^\s*(\S+)(?:\s+(.+?))?\s*$/.exec(text);
  if (!m) throw new UsageError(`an action is "ACTION [VALUE]", got ${JSON.stringify(text)}`);
  const word = m[1]!.toLowerCase();
  const type = (ACTION_ALIASES[word] ?? word.replace(/-/g, '_')) as RuleAction['type'];
  return m[2] !== undefined ? { type, value: m[2] } : { type };
}

function describe(r: Rule, i: number): string {
  const conds = r.conditions.map((c) => `${c.property} ${c.operator} ${JSON.stringify(c.value)}`);
  const acts = r.actions.map((a) =>
    a.value !== undefined ? `${a.type} ${JSON.stringify(a.value)}` : a.type,
  );
  const when = conds.length === 0 ? 'always' : `${r.allOf ? 'all of' : 'any of'}: ${conds.join('; ')}`;
  return `${i + 1}. ${r.name}${r.enabled ? '' : ' (disabled)'}\n   if ${when}\n   then ${acts.join(', ')}`;
}

/** Collects every --if / --then (repeatable) before the strict parser sees the rest. */
function takeRepeated(argv: string[], names: string[]): { rest: string[]; values: Map<string, string[]> } {
  const values = new Map<string, string[]>(names.map((n) => [n, []]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = names.find((n) => a === `--${n}` || a.startsWith(`--${n}=`));
    if (!name) {
      rest.push(a);
      continue;
    }
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`option --${name} needs a value`);
    values.get(name)!.push(v);
  }
  return { rest, values };
}

function need(p: string[], i: number, what: string): string {
  const v = p[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

async function addressIdOf(core: Core, address: string): Promise<number> {
  const found = await findLoginAddress(core, address);
  if (!found) throw new MailError('NOT_FOUND', `no such mailbox address: ${address}`);
  return found.record.id;
}

async function serviceIdOf(core: Core, domain: string): Promise<number> {
  const name = normaliseDomain(domain);
  const d = name ? await core.store.directory.findDomain(name) : undefined;
  if (!d) throw new MailError('DOMAIN_NOT_FOUND', `unknown domain: ${domain}`);
  return d.serviceId;
}

/**
 * Runs one command. `argv` starts with the noun (`rules` or `sieve`); without it, `rules` is meant.
 * Throws UsageError for bad syntax and MailError for refused actions, like adminCommand.
 */
export async function rulesCommand(core: Core, argv: string[], out: Out): Promise<void> {
  const [first, ...more] = argv;
  if (first === 'sieve') return sieveVerbs(core, more, out);
  const [verb, ...rest] = first === 'rules' ? more : argv;
  switch (verb) {
    case 'list': {
      const a = parseArgs(rest, []);
      const v = await getRules(core, await addressIdOf(core, need(a.positionals, 0, 'ADDRESS')));
      const mode =
        v.mode === 'standard'
          ? 'standard rules'
          : v.mode === 'advanced'
            ? `advanced: script "${v.activeScript}" runs, the rules below are kept but not run`
            : 'no active script: nothing runs';
      out(`mode: ${mode}${v.canManageRules ? '' : ' (locked by the administrator)'}`);
      if (v.rules.length === 0) out('no rules');
      v.rules.forEach((r, i) => out(describe(r, i)));
      return;
    }
    case 'add': {
      const { rest: r, values } = takeRepeated(rest, ['if', 'then']);
      const a = parseArgs(r, ['position'], ['any', 'disabled']);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const name = need(a.positionals, 1, 'NAME');
      if (a.positionals.length > 2) throw new UsageError('quote the rule name if it has spaces');
      const pos = a.options.get('position');
      const position = pos === undefined ? undefined : Number(pos) - 1;
      if (position !== undefined && !(Number.isInteger(position) && position >= 0))
        throw new UsageError('--position is 1, 2, ...');
      const rule = await addRule(
        core,
        addressId,
        {
          name,
          enabled: !a.flags.has('disabled'),
          allOf: !a.flags.has('any'),
          conditions: values.get('if')!.map(parseCondition),
          actions: values.get('then')!.map(parseAction),
        },
        { ...ADMIN, ...(position !== undefined ? { position } : {}) },
      );
      out(`rule "${rule.name}" added`);
      return;
    }
    case 'remove':
    case 'enable':
    case 'disable': {
      const a = parseArgs(rest, []);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const name = need(a.positionals, 1, 'NAME');
      if (verb === 'remove') await removeRule(core, addressId, name, ADMIN);
      else await setRuleEnabled(core, addressId, name, verb === 'enable', ADMIN);
      out(`rule "${name}" ${verb === 'remove' ? 'removed' : `${verb}d`}`);
      return;
    }
    case 'reorder': {
      const a = parseArgs(rest, []);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      await reorderRules(core, addressId, a.positionals.slice(1), ADMIN);
      out('rules reordered');
      return;
    }
    case 'show-sieve': {
      const a = parseArgs(rest, []);
      const v = await getRules(core, await addressIdOf(core, need(a.positionals, 0, 'ADDRESS')));
      out(v.script.replace(/\n$/, ''));
      return;
    }
    case 'standard': {
      const a = parseArgs(rest, []);
      await useStandardMode(core, await addressIdOf(core, need(a.positionals, 0, 'ADDRESS')), ADMIN);
      out('standard rules active');
      return;
    }
    case 'template':
      return templateVerbs(core, rest, out);
    default:
      throw new UsageError(`unknown rules command: ${verb ?? '(none)'}`);
  }
}

async function templateVerbs(core: Core, argv: string[], out: Out): Promise<void> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'list': {
      const a = parseArgs(rest, []);
      const list = await listTemplates(core, await serviceIdOf(core, need(a.positionals, 0, 'DOMAIN')));
      if (list.length === 0) out('no templates');
      for (const t of list) {
        const conds = t.conditions.map((c) => `${c.property} ${c.operator} ${JSON.stringify(c.value)}`);
        const flags = [
          t.visible ? 'visible' : 'hidden',
          ...(t.appliedToAll ? ['applied to every address'] : []),
        ];
        out(`${t.id}\t${t.name}\t${flags.join(', ')}\t${t.allOf ? 'all' : 'any'}: ${conds.join('; ')}`);
      }
      return;
    }
    case 'add': {
      const { rest: r, values } = takeRepeated(rest, ['if', 'then']);
      const a = parseArgs(r, [], ['any', 'hidden', 'apply']);
      const serviceId = await serviceIdOf(core, need(a.positionals, 0, 'DOMAIN'));
      const t = await addTemplate(core, serviceId, {
        name: need(a.positionals, 1, 'NAME'),
        visible: !a.flags.has('hidden'),
        allOf: !a.flags.has('any'),
        conditions: values.get('if')!.map(parseCondition),
        actions: values.get('then')!.map(parseAction),
        appliedToAll: a.flags.has('apply'),
      });
      out(`template "${t.name}" added (${t.id})`);
      return;
    }
    case 'remove': {
      const a = parseArgs(rest, []);
      const serviceId = await serviceIdOf(core, need(a.positionals, 0, 'DOMAIN'));
      await removeTemplate(core, serviceId, need(a.positionals, 1, 'NAME'));
      out('template removed');
      return;
    }
    default:
      throw new UsageError(`unknown rules template command: ${verb ?? '(none)'}`);
  }
}

async function sieveVerbs(core: Core, argv: string[], out: Out): Promise<void> {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'list': {
      const a = parseArgs(rest, []);
      const list = await listScripts(core, await addressIdOf(core, need(a.positionals, 0, 'ADDRESS')));
      if (list.length === 0) out('no scripts');
      for (const s of list) out(`${s.name}\t${s.size} bytes${s.active ? '\tactive' : ''}`);
      return;
    }
    case 'import': {
      const a = parseArgs(rest, ['name'], ['activate']);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const file = need(a.positionals, 1, 'FILE');
      const bytes = readFileSync(file);
      const source = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      // "vacation.sieve" / "work.siv" → "vacation" / "work".
      const name = a.options.get('name') ?? basename(file, extname(file));
      const r = await putScript(core, addressId, name, source, ADMIN);
      for (const w of r.warnings) out(`warning: ${w}`);
      if (a.flags.has('activate')) await setActiveScript(core, addressId, name, ADMIN);
      out(`script "${name}" imported${a.flags.has('activate') ? ' and active' : ''}`);
      return;
    }
    case 'export': {
      const a = parseArgs(rest, []);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const name = a.positionals[1];
      const s =
        name !== undefined ? await getScript(core, addressId, name) : await activeScript(core, addressId);
      if (!s) throw new MailError('NOT_FOUND', 'no active script');
      out(s.source.replace(/\r?\n$/, ''));
      return;
    }
    case 'activate':
    case 'deactivate': {
      const a = parseArgs(rest, []);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      const name = verb === 'activate' ? need(a.positionals, 1, 'NAME') : null;
      await setActiveScript(core, addressId, name, ADMIN);
      out(name ? `script "${name}" active` : 'no script active');
      return;
    }
    case 'remove': {
      const a = parseArgs(rest, []);
      const addressId = await addressIdOf(core, need(a.positionals, 0, 'ADDRESS'));
      await deleteScript(core, addressId, need(a.positionals, 1, 'NAME'), ADMIN);
      out('script removed');
      return;
    }
    default:
      throw new UsageError(`unknown sieve command: ${verb ?? '(none)'}`);
  }
}
