// Who may change an address's rules and scripts, decided once for ManageSieve, the CLI and the web UI:
// the user unless an administrator took the right away (AddressRecord.canManageRules, product-spec
// §1.5 / §10 `can_manage_rules`); raw Sieve (advanced mode) only on plans that have it (§1.7).
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import { planLimits, type PlanLimits } from '../directory/plans.js';
import type { AddressRecord, StoreRoles } from '../../store/ports.js';

/** Who asks: the address's own user (through a protocol) or a service administrator. */
export type RulesActor = 'user' | 'admin';

export interface RulesOwner {
  readonly record: AddressRecord;
  readonly plan: PlanLimits;
}

export async function rulesOwner(roles: StoreRoles, addressId: number): Promise<RulesOwner> {
  const record = await roles.directory.getAddress(addressId);
  if (!record || record.kind !== 'mailbox') throw new MailError('NOT_FOUND', 'No such mailbox address');
  const service = await roles.directory.getService(record.serviceId);
  if (!service) throw new MailError('NOT_FOUND', 'Mail service not found');
  return { record, plan: planLimits(service.plan) };
}

/** Refuses changes by a user whose right to manage rules was taken away; administrators may always. */
export function assertMayChange(owner: RulesOwner, actor: RulesActor): void {
  if (actor === 'user' && !owner.record.canManageRules)
    throw new MailError(
      'PERMISSION_DENIED',
      'Your administrator has locked the sorting rules of this address',
    );
}

export function assertAdvancedAllowed(owner: RulesOwner): void {
  if (!owner.plan.advancedSieve)
    throw new MailError(
      'PLAN_LIMIT',
      `Sieve scripts (advanced mode) are not available on the ${owner.plan.label} plan; use the standard rules`,
    );
}

/** Whether the address may change its rules (for UIs that grey out the editor). */
export async function mayManageRules(core: Core, addressId: number): Promise<boolean> {
  const owner = await rulesOwner(core.store, addressId);
  return owner.record.canManageRules;
}
