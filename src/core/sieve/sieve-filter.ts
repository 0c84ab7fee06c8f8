// Sieve at delivery (the host side of src/sieve, like Stalwart's sieve/ingest.rs): for each message
// an address receives, run the service's templates and then the address's active script, answer the
// engine's questions from the store, and turn the result into the pipeline's FilterDecision.
// Anything the script can't decide — no script, a script that doesn't compile, a runtime error —
// ends in the implicit keep (RFC 5228 §2.10.6), with the reason in the mail log.
import type { Core } from '../context.js';
import type { FilterDecision, FilterInput, MessageFilter } from '../delivery/hooks.js';
import { getFolder } from '../mailbox/folders.js';
import { flattenAddresses, parseAddressList } from '../../mime/index.js';
import {
  createRuntime,
  execute,
  SieveMessage,
  type DeliveryCopy,
  type RunOptions,
  type SieveAction,
  type SieveLimits,
  type SieveResult,
} from '../../sieve/index.js';
import { editedCopy } from './edited-copy.js';
import { where, type ScriptText } from './explain.js';
import { SieveHost } from './host-answers.js';
import { handleNotify } from './notify-mailto.js';
import { judgeRedirects } from './redirect-policy.js';
import { ScriptCache } from './script-cache.js';
import {
  kvGlobalScripts,
  noTemplates,
  type GlobalScriptSource,
  type NamedScript,
  type TemplateSource,
} from './script-sources.js';
import { sendThroughQueue, type SendMail } from './send-mail.js';
import { userAddresses } from './user-addresses.js';
import { handleVacation } from './vacation-reply.js';

export interface SieveFilterOptions {
  /** Scripts run before the address's own (the service's rule templates); default none. */
  templates?: TemplateSource;
  /** Where `include :global` finds scripts; default the key-value store (`putGlobalScript`). */
  globalScripts?: GlobalScriptSource;
  /** Engine limits (actions, redirects, steps...); defaults are the engine's. */
  limits?: Partial<SieveLimits>;
  /** Engine run options (vacation periods, spamtest headers, editheader protection...). */
  run?: Omit<RunOptions, 'limits' | 'extensions' | 'globals' | 'userAddresses'>;
  /** RFC 5183 environment items on top of the built-in ones (e.g. `version`). */
  environment?: Record<string, string>;
  /** How vacation replies and notifications leave; default the outbound queue. */
  send?: SendMail;
  /** Compiled scripts kept in memory (default 500). */
  cacheSize?: number;
}

/** Pigeonhole's vacation periods: 7 days by default, between 1 day and 60 days. */
const VACATION_DEFAULTS = { defaultPeriod: 7 * 86400, minPeriod: 86400, maxPeriod: 60 * 86400 };

type Delivery = FilterDecision['deliveries'][number];

export function createSieveFilter(opts: SieveFilterOptions = {}): MessageFilter {
  const cache = new ScriptCache(opts.cacheSize);
  const templates = opts.templates ?? noTemplates;
  const globalScripts = opts.globalScripts ?? kvGlobalScripts;
  const send = opts.send ?? sendThroughQueue;

  return async (core, input) => {
    const { account } = input;
    const keepFolder = input.junk ? 'Junk' : 'INBOX';
    const active = await core.store.sieve.getActive(account.addressId);
    const sources: NamedScript[] = [
      ...(await templates(core, account)).map((t) => ({ name: `template:${t.name}`, source: t.source })),
      ...(active ? [{ name: active.name, source: active.source }] : []),
    ];
    if (sources.length === 0)
      return { deliveries: [{ folder: keepFolder, flags: [], create: false }], redirects: [], explain: [] };

    const explain: string[] = [];
    const scripts = new Map<string, ScriptText>();
    const fetchInclude = async (
      location: 'personal' | 'global',
      name: string,
    ): Promise<string | undefined> =>
      location === 'personal'
        ? (await core.store.sieve.get(account.addressId, name))?.source
        : globalScripts(core, name);
    for (const s of sources) {
      // Includes are checked at compile time (Pigeonhole): a missing or circular one means the
      // script does not compile, and the message is kept.
      const r = await cache.compileWithIncludes(
        s.source,
        s.name,
        fetchInclude,
        active && s.name === active.name ? { location: 'personal', name: active.name } : undefined,
      );
      if (r.ok) scripts.set(s.name, { source: s.source, compiled: r.script });
      else {
        // Stored scripts were compile-checked; this happens when an included script went missing
        // (or a circular include was stored inactive and then activated) or an engine change
        // tightened a rule.
        const e = r.errors[0]!;
        explain.push(`script "${s.name}" does not compile (line ${e.line}: ${e.message}): skipped`);
        core.log.warn(
          { address: account.address, script: s.name, errors: r.errors },
          'sieve script does not compile',
        );
      }
    }

    const message = new SieveMessage(input.raw);
    const mine = await userAddresses(core, account, input.envelopeTo);
    const host = new SieveHost({
      core,
      account,
      cache,
      globalScripts,
      environment: opts.environment ?? {},
    });
    const rt = createRuntime(
      message,
      { from: input.envelopeFrom, to: input.envelopeTo },
      {
        recipientDelimiter: '+',
        ...opts.run,
        vacation: { ...VACATION_DEFAULTS, ...opts.run?.vacation },
        ...(opts.limits ? { limits: opts.limits } : {}),
        userAddresses: mine,
      },
    );
    let status: 'ok' | 'error' = 'ok';
    for (const [, s] of scripts) {
      const gen = execute(rt, s.compiled);
      let step = gen.next();
      while (!step.done) step = gen.next(await host.answer(step.value));
      if (step.value === 'error') {
        status = 'error';
        break;
      }
      // Like Pigeonhole's script sequences: the next script runs only while the keep stands, and
      // what earlier scripts decided counts as executed (so one vacation each is no conflict).
      if (!rt.keepInEffect) break;
      rt.executedActions = rt.resultActions.length;
    }
    for (const [name, s] of host.includedScripts) scripts.set(name, s);
    const result = rt.finish(status);

    if (result.status === 'error') {
      const e = result.errors[result.errors.length - 1];
      explain.push(`Sieve error${e ? ` at line ${e.line}: ${e.message}` : ''}: kept in ${keepFolder}`);
      core.log.warn(
        { address: account.address, errors: result.errors },
        'sieve runtime error: implicit keep',
      );
      return { deliveries: [{ folder: keepFolder, flags: [], create: false }], redirects: [], explain };
    }
    for (const e of result.errors) explain.push(`Sieve warning at line ${e.line}: ${e.message}`);

    // Memories and outgoing mail wait until the copy is stored (FilterDecision.afterDelivery):
    // a temporary store failure makes the sender retry, and the retry must not find the message
    // already marked as seen or already answered.
    const later: Array<() => Promise<void>> = [];
    const decision = await toDecision(core, input, result, {
      keepFolder,
      scripts,
      message,
      userAddresses: mine,
      send,
      explain,
      afterDelivery: (step) => later.push(step),
    });
    if (decision.reject !== undefined) return decision;
    later.push(() => host.recordDuplicates(result.duplicateMarks));
    return {
      ...decision,
      afterDelivery: async () => {
        for (const step of later) await step();
      },
    };
  };
}

interface MapContext {
  keepFolder: string;
  scripts: ReadonlyMap<string, ScriptText>;
  message: SieveMessage;
  userAddresses: readonly string[];
  send: SendMail;
  explain: string[];
  /** Registers a step to run once the copy is stored. */
  afterDelivery: (step: () => Promise<void>) => void;
}

async function toDecision(
  core: Core,
  input: FilterInput,
  result: SieveResult,
  ctx: MapContext,
): Promise<FilterDecision> {
  const { account } = input;
  const explain = ctx.explain;
  const deliveries: Delivery[] = [];
  // The stored copy carries the header edits as they stood at the last delivery.
  let headers: DeliveryCopy['headers'];
  let reject: string | undefined;
  const redirects: { to: string; copy: boolean; at: string }[] = [];
  const add = (folder: string, flags: readonly string[] | undefined, create: boolean): void => {
    const same = deliveries.find((d) => d.folder === folder);
    if (same) {
      for (const f of flags ?? []) if (!same.flags.includes(f)) same.flags.push(f);
      same.create ||= create;
    } else deliveries.push({ folder, flags: [...(flags ?? [])], create });
  };

  for (const [i, a] of result.actions.entries()) {
    const o = result.origins[i];
    const at = o ? where(ctx.scripts, o.script, o.line) : 'Sieve';
    switch (a.type) {
      case 'keep':
        add(ctx.keepFolder, a.flags, false);
        headers = a.headers ?? headers;
        explain.push(`${at}: keep in ${ctx.keepFolder}`);
        break;
      case 'fileinto': {
        const folder = await targetFolder(core, account.addressId, a);
        add(folder.name, a.flags, a.create);
        headers = a.headers ?? headers;
        explain.push(`${at}: fileinto "${a.mailbox}"${a.copy ? ' (copy)' : ''}`);
        if (folder.note) explain.push(folder.note);
        break;
      }
      case 'redirect':
        redirects.push({ to: a.address, copy: a.copy, at });
        break;
      case 'discard':
        explain.push(`${at}: discard`);
        break;
      case 'reject':
        reject = a.reason;
        explain.push(`${at}: ${a.extended ? 'ereject' : 'reject'}: ${a.reason}`);
        break;
      case 'vacation':
        explain.push(
          `${at}: ${await handleVacation(
            {
              core,
              account,
              userAddresses: ctx.userAddresses,
              reasons: input.reasons,
              junk: input.junk,
              addressedAs: addressedAs(ctx.message, ctx.userAddresses),
              references: ctx.message.values('references')[0],
              send: ctx.send,
              afterDelivery: ctx.afterDelivery,
            },
            a,
          )}`,
        );
        break;
      case 'notify':
        explain.push(
          `${at}: ${await handleNotify(
            {
              core,
              account,
              userAddresses: ctx.userAddresses,
              message: ctx.message,
              send: ctx.send,
              afterDelivery: ctx.afterDelivery,
            },
            a,
          )}`,
        );
        break;
    }
  }

  const verdicts = await judgeRedirects(
    core,
    account,
    ctx.message,
    ctx.userAddresses,
    redirects.map((r) => r.to),
  );
  let keepForRefused = false;
  const send: string[] = [];
  for (const [i, v] of verdicts.entries()) {
    const r = redirects[i]!;
    if (v.outcome === 'send') {
      send.push(v.to);
      explain.push(`${r.at}: redirect to ${v.to}${r.copy ? ' (copy)' : ''}`);
    } else if (v.outcome === 'duplicate') explain.push(`${r.at}: redirect to ${v.to} skipped: ${v.why}`);
    else {
      explain.push(`${r.at}: redirect to ${v.to} refused: ${v.why}`);
      // The message was meant to go somewhere: refusing the redirect must not lose it.
      if (!r.copy) keepForRefused = true;
    }
  }

  if (reject !== undefined) return { deliveries: [], redirects: [], reject, explain };

  if (result.implicitKeep) {
    add(ctx.keepFolder, result.implicitKeep.flags, false);
    headers = result.implicitKeep.headers ?? headers;
    if (result.actions.length === 0) explain.push(`no rule matched: kept in ${ctx.keepFolder}`);
    else explain.push(`implicit keep: ${ctx.keepFolder}`);
  } else if (keepForRefused && deliveries.length === 0) {
    add(ctx.keepFolder, undefined, false);
    explain.push(`kept in ${ctx.keepFolder} instead`);
  }
  if (deliveries.length === 0 && send.length === 0) explain.push('nothing stored');

  return {
    deliveries,
    redirects: send,
    ...(headers ? { raw: editedCopy(ctx.message, headers) } : {}),
    explain,
  };
}

function addressedAs(message: SieveMessage, mine: readonly string[]): string | undefined {
  const set = new Set(mine.map((a) => a.toLowerCase()));
  for (const h of ['to', 'cc', 'bcc'])
    for (const v of message.rawValues(h))
      for (const a of flattenAddresses(parseAddressList(v)))
        if (a.valid && set.has(a.address.toLowerCase())) return a.address;
  return undefined;
}

/**
 * Where a fileinto lands: a folder with the requested special use (RFC 8579) when there is one,
 * the named folder when it exists or may be created, else INBOX — said in the log.
 */
async function targetFolder(
  core: Core,
  addressId: number,
  a: Extract<SieveAction, { type: 'fileinto' }>,
): Promise<{ name: string; note?: string }> {
  if (a.specialUse) {
    const flag = a.specialUse.toLowerCase();
    const boxes = await core.store.mail.listMailboxes(addressId);
    const box = boxes.find((b) => b.specialUse?.toLowerCase() === flag);
    if (box) return { name: box.name };
  }
  const box = await getFolder(core, addressId, a.mailbox);
  if (box) return { name: box.name };
  if (a.create) return { name: a.mailbox };
  return { name: 'INBOX', note: `folder "${a.mailbox}" does not exist: delivered to INBOX` };
}
