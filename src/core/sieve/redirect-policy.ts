// Which Sieve redirects may leave. A redirect is forwarding by another name, so it is counted
// against the plan's forwarding targets (minus those the address already forwards to) and refused
// on a plan without forwarding. Loops are cut two ways: a message that already went through a Sieve
// redirect of this address (X-Sieve-Redirected-From names one of its addresses) is not redirected
// again, and the same message (by Message-ID) is redirected to the same target once per period,
// as Pigeonhole's sieve_redirect_duplicate_period does.
import { createHash } from 'node:crypto';
import type { Core } from '../context.js';
import type { Account } from '../directory/accounts.js';
import { planLimits } from '../directory/plans.js';
import { flattenAddresses, parseAddressList } from '../../mime/index.js';
import type { SieveMessage } from '../../sieve/index.js';

export const REDIRECTED_FROM_HEADER = 'X-Sieve-Redirected-From';
const REDIRECT_NS = 'sieve-redirect';
const DUPLICATE_PERIOD_MS = 12 * 3600 * 1000;

export interface RedirectVerdict {
  to: string;
  /** send: queue it; duplicate: already done for this message (counts as done); refused: keep instead. */
  outcome: 'send' | 'duplicate' | 'refused';
  why?: string;
}

export async function judgeRedirects(
  core: Core,
  account: Account,
  message: SieveMessage,
  userAddresses: readonly string[],
  targets: readonly string[],
): Promise<RedirectVerdict[]> {
  if (targets.length === 0) return [];
  const mine = new Set(userAddresses.map((a) => a.toLowerCase()));
  const redirectedBy = message
    .rawValues(REDIRECTED_FROM_HEADER.toLowerCase())
    .flatMap((v) => flattenAddresses(parseAddressList(v)).map((a) => a.address.toLowerCase()));
  const loop = redirectedBy.some((a) => mine.has(a));
  const service = await core.store.directory.getService(account.serviceId);
  const max = service ? planLimits(service.plan).maxForwardTargets : 0;
  const configured = (await core.store.directory.listTargets(account.addressId, 'forward')).length;
  let available = Math.max(0, max - configured);
  const messageId = message.values('message-id')[0]?.trim();
  const out: RedirectVerdict[] = [];
  for (const to of targets) {
    const t = to.toLowerCase();
    if (loop) out.push({ to, outcome: 'refused', why: `loop: already redirected by ${account.address}` });
    else if (mine.has(t))
      out.push({ to, outcome: 'refused', why: 'loop: redirect to one of its own addresses' });
    else if (max === 0) out.push({ to, outcome: 'refused', why: 'the plan does not allow forwarding' });
    else if (available === 0)
      out.push({ to, outcome: 'refused', why: `over the plan's limit of ${max} forwarding targets` });
    else if (messageId && !(await firstRedirect(core, account, messageId, t)))
      out.push({ to, outcome: 'duplicate', why: 'this message was already redirected there' });
    else {
      available--;
      out.push({ to, outcome: 'send' });
    }
  }
  return out;
}

async function firstRedirect(core: Core, account: Account, messageId: string, to: string): Promise<boolean> {
  const key = `${account.addressId}:${createHash('sha256').update(`${messageId}\0${to}`).digest('hex')}`;
  const until = await core.store.kv.get(REDIRECT_NS, key);
  if (until !== undefined && Number(until) > core.now()) return false;
  await core.store.kv.set(REDIRECT_NS, key, String(core.now() + DUPLICATE_PERIOD_MS), DUPLICATE_PERIOD_MS);
  return true;
}
