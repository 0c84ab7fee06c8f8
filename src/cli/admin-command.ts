// `mailstead admin <noun> <verb> ... --config FILE`: the directory from the shell. Works while the
// server runs (same store; the server reads the directory on every lookup, so it sees changes at
// once). Exit 0 on success; a one-line message naming the problem and exit 1 on a refused action.
import type { Core } from '../core/context.js';
import * as admin from '../core/directory/admin.js';
import { isPlanName, PLANS } from '../core/directory/plans.js';
import { dkimDnsRecord } from '../core/directory/dkim-keys.js';
import { readMailLog } from '../core/maillog/mail-log.js';
import { unban } from '../core/security/bans.js';
import { parseArgs, parseSize, UsageError } from './args.js';
import { queueCommand } from './queue-command.js';
import { autoreplyCommand, AUTOREPLY_USAGE } from './autoreply-command.js';
import { rulesCommand, RULES_USAGE } from './rules-command.js';

export const ADMIN_USAGE = `usage: mailstead admin <command> ... --config FILE

  domain add DOMAIN [--plan starter|premium] [--org NAME]
  domain list
  domain link EXISTING NEW          link NEW to the mail service of EXISTING
  domain unlink DOMAIN
  domain set-primary DOMAIN         rename every address of the service to DOMAIN
  domain dns DOMAIN                 the DNS records to publish (MX, SPF, DKIM, DMARC)
  address add ADDRESS --password P [--name NAME] [--quota SIZE]
  address passwd ADDRESS --password P
  address set ADDRESS [--name NAME] [--quota SIZE] [--state active|suspended] [--rules allow|deny]
  address list [--domain DOMAIN]
  address show ADDRESS
  address remove ADDRESS
  alias add ALIAS ADDRESS | alias remove ALIAS
  redirect add ADDRESS TARGET... | redirect remove ADDRESS
  forward set ADDRESS TARGET... [--keep] | forward clear ADDRESS
  plan set DOMAIN starter|premium
  queue list [--status queued|delivered|failed] | queue retry ID | queue delete ID
  log show ADDRESS [--limit N]      the per-address mail log
  ban remove IP                     lift an authentication ban
  rules ... | sieve ...             sorting rules and Sieve scripts of an address (below)
  autoreply ...                     the auto-reply (out-of-office) of an address (below)

${RULES_USAGE.split('\n').slice(1).join('\n')}

${AUTOREPLY_USAGE.split('\n').slice(2).join('\n')}`;

type Out = (line: string) => void;

function need(p: string[], i: number, what: string): string {
  const v = p[i];
  if (v === undefined) throw new UsageError(`missing ${what}`);
  return v;
}

function size(n: number): string {
  if (n === 0) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** Runs one admin command; throws UsageError for bad syntax and MailError for refused actions. */
export async function adminCommand(core: Core, argv: string[], out: Out): Promise<void> {
  const [noun, verb, ...rest] = argv;
  if (noun === 'queue') return queueCommand(core, argv.slice(1), out);
  if (noun === 'rules' || noun === 'sieve') return rulesCommand(core, argv, out);
  if (noun === 'autoreply') return autoreplyCommand(core, argv.slice(1), out);
  const key = `${noun ?? ''} ${verb ?? ''}`;
  switch (key) {
    case 'domain add': {
      const a = parseArgs(rest, ['plan', 'org', 'dkim-selector']);
      const plan = a.options.get('plan') ?? 'premium';
      if (!isPlanName(plan))
        throw new UsageError(`unknown plan: ${plan} (plans: ${Object.keys(PLANS).join(', ')})`);
      const org = a.options.get('org');
      const sel = a.options.get('dkim-selector');
      const d = await admin.addDomain(core, need(a.positionals, 0, 'DOMAIN'), {
        plan,
        ...(org ? { org } : {}),
        ...(sel ? { dkimSelector: sel } : {}),
      });
      out(`domain ${d.name} added (mail service ${d.serviceId}, plan ${plan})`);
      return;
    }
    case 'domain list': {
      parseArgs(rest, []);
      for (const d of await admin.listDomains(core)) {
        out(`${d.name}\t${d.primary ? 'primary' : 'linked'}\tservice=${d.serviceId}\tplan=${d.plan}`);
      }
      return;
    }
    case 'domain link': {
      const a = parseArgs(rest, []);
      const d = await admin.linkDomain(
        core,
        need(a.positionals, 0, 'EXISTING'),
        need(a.positionals, 1, 'NEW'),
      );
      out(`domain ${d.name} linked to mail service ${d.serviceId}`);
      return;
    }
    case 'domain unlink': {
      const a = parseArgs(rest, []);
      const name = need(a.positionals, 0, 'DOMAIN');
      await admin.unlinkDomain(core, name);
      out(`domain ${name} unlinked`);
      return;
    }
    case 'domain set-primary': {
      const a = parseArgs(rest, []);
      const d = await admin.setPrimaryDomain(core, need(a.positionals, 0, 'DOMAIN'));
      out(`domain ${d.name} is now the primary domain of mail service ${d.serviceId}`);
      return;
    }
    case 'domain dns': {
      const a = parseArgs(rest, []);
      const d = await admin.getDomain(core, need(a.positionals, 0, 'DOMAIN'));
      const dkim = dkimDnsRecord(d.name, d.dkimSelector, d.dkimPublicKey);
      out(`${d.name}.\tMX\t10 ${core.hostname}.`);
      out(`${d.name}.\tTXT\t"v=spf1 mx -all"`);
      out(`${dkim.name}.\tTXT\t"${dkim.value}"`);
      out(`_dmarc.${d.name}.\tTXT\t"v=DMARC1; p=quarantine; rua=mailto:postmaster@${d.name}"`);
      return;
    }
    case 'address add': {
      const a = parseArgs(rest, ['password', 'name', 'quota']);
      const password = a.options.get('password');
      if (password === undefined) throw new UsageError('--password is required');
      const name = a.options.get('name');
      const quota = a.options.get('quota');
      const acc = await admin.addAddress(core, need(a.positionals, 0, 'ADDRESS'), {
        password,
        ...(name !== undefined ? { displayName: name } : {}),
        ...(quota !== undefined ? { quotaBytes: parseSize(quota) } : {}),
      });
      out(`address ${acc.address} added`);
      return;
    }
    case 'address passwd': {
      const a = parseArgs(rest, ['password']);
      const password = a.options.get('password');
      if (password === undefined) throw new UsageError('--password is required');
      const addr = need(a.positionals, 0, 'ADDRESS');
      await admin.setPassword(core, addr, password);
      out(`password of ${addr} changed`);
      return;
    }
    case 'address set': {
      const a = parseArgs(rest, ['name', 'quota', 'state', 'rules']);
      const addr = need(a.positionals, 0, 'ADDRESS');
      const state = a.options.get('state');
      if (state !== undefined && state !== 'active' && state !== 'suspended')
        throw new UsageError('--state is active or suspended');
      const rules = a.options.get('rules');
      if (rules !== undefined && rules !== 'allow' && rules !== 'deny')
        throw new UsageError('--rules is allow or deny');
      const name = a.options.get('name');
      const quota = a.options.get('quota');
      await admin.updateAddress(core, addr, {
        ...(name !== undefined ? { displayName: name } : {}),
        ...(quota !== undefined ? { quotaBytes: parseSize(quota) } : {}),
        ...(state !== undefined ? { state } : {}),
        ...(rules !== undefined ? { canManageRules: rules === 'allow' } : {}),
      });
      out(`address ${addr} updated`);
      return;
    }
    case 'address list': {
      const a = parseArgs(rest, ['domain']);
      for (const v of await admin.listAddresses(core, a.options.get('domain'))) {
        const extra =
          v.kind === 'redirect'
            ? `-> ${v.redirectTargets.join(', ')}`
            : `${size(v.usedBytes)} / ${size(v.quotaBytes)}`;
        out(`${v.address}\t${v.kind}\t${v.state}\t${extra}`);
      }
      return;
    }
    case 'address show': {
      const a = parseArgs(rest, []);
      const v = await admin.showAddress(core, need(a.positionals, 0, 'ADDRESS'));
      out(`address:      ${v.address}`);
      out(`kind:         ${v.kind}`);
      out(`state:        ${v.state}`);
      if (v.kind === 'mailbox') {
        out(`display name: ${v.displayName}`);
        out(`quota:        ${size(v.usedBytes)} used of ${size(v.quotaBytes)}`);
        out(`aliases:      ${v.aliases.join(', ') || '-'}`);
        out(
          `forwarding:   ${v.forwardTargets.join(', ') || '-'}${v.forwardTargets.length ? (v.forwardKeepCopy ? ' (keeps a copy)' : ' (no local copy)') : ''}`,
        );
        out(`rules:        ${v.canManageRules ? 'user may edit' : 'locked by the administrator'}`);
      } else {
        out(`targets:      ${v.redirectTargets.join(', ')}`);
      }
      return;
    }
    case 'address remove': {
      const a = parseArgs(rest, []);
      const addr = need(a.positionals, 0, 'ADDRESS');
      await admin.removeAddress(core, addr);
      out(`address ${addr} removed`);
      return;
    }
    case 'alias add': {
      const a = parseArgs(rest, []);
      const alias = need(a.positionals, 0, 'ALIAS');
      const target = need(a.positionals, 1, 'ADDRESS');
      await admin.addAlias(core, alias, target);
      out(`alias ${alias} -> ${target} added`);
      return;
    }
    case 'alias remove': {
      const a = parseArgs(rest, []);
      const alias = need(a.positionals, 0, 'ALIAS');
      await admin.removeAlias(core, alias);
      out(`alias ${alias} removed`);
      return;
    }
    case 'redirect add': {
      const a = parseArgs(rest, []);
      const addr = need(a.positionals, 0, 'ADDRESS');
      const targets = a.positionals.slice(1);
      await admin.setRedirect(core, addr, targets);
      out(`redirection ${addr} -> ${targets.join(', ')}`);
      return;
    }
    case 'redirect remove': {
      const a = parseArgs(rest, []);
      const addr = need(a.positionals, 0, 'ADDRESS');
      await admin.removeRedirect(core, addr);
      out(`redirection ${addr} removed`);
      return;
    }
    case 'forward set': {
      const a = parseArgs(rest, [], ['keep']);
      const addr = need(a.positionals, 0, 'ADDRESS');
      const targets = a.positionals.slice(1);
      if (targets.length === 0) throw new UsageError('missing TARGET');
      await admin.setForwarding(core, addr, targets, a.flags.has('keep'));
      out(`forwarding of ${addr} -> ${targets.join(', ')}${a.flags.has('keep') ? ' (keeping a copy)' : ''}`);
      return;
    }
    case 'forward clear': {
      const a = parseArgs(rest, []);
      const addr = need(a.positionals, 0, 'ADDRESS');
      await admin.setForwarding(core, addr, [], false);
      out(`forwarding of ${addr} turned off`);
      return;
    }
    case 'plan set': {
      const a = parseArgs(rest, []);
      const domain = need(a.positionals, 0, 'DOMAIN');
      const plan = need(a.positionals, 1, 'PLAN');
      if (!isPlanName(plan))
        throw new UsageError(`unknown plan: ${plan} (plans: ${Object.keys(PLANS).join(', ')})`);
      await admin.setPlan(core, domain, plan);
      out(`plan of ${domain} set to ${plan}`);
      return;
    }
    case 'log show': {
      const a = parseArgs(rest, ['limit']);
      const addr = need(a.positionals, 0, 'ADDRESS');
      const limit = Number(a.options.get('limit') ?? 100);
      for (const r of await readMailLog(core, { address: addr, limit })) {
        out(
          `${new Date(r.at).toISOString()}\t${r.direction}\t${r.event}\t${r.messageId}\t${JSON.stringify(r.detail)}`,
        );
      }
      return;
    }
    case 'ban remove': {
      const a = parseArgs(rest, []);
      const ip = need(a.positionals, 0, 'IP');
      await unban(core, ip);
      out(`ban on ${ip} lifted`);
      return;
    }
    default:
      throw new UsageError(noun ? `unknown admin command: ${key.trim()}` : 'missing admin command');
  }
}
