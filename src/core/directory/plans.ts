// The plans of the product (product-spec §0) and their limits. `Infinity` = no limit.
import type { PlanName } from '../../store/ports.js';

export interface PlanLimits {
  readonly name: PlanName;
  readonly label: string;
  /** Mailbox addresses (aliases and redirect-only addresses don't count). */
  readonly maxAddresses: number;
  readonly catchAll: boolean;
  /** Redirect-only addresses allowed per mailbox address of the service. */
  readonly redirectsPerAddress: number;
  readonly maxRedirectTargets: number;
  /** Forwarding targets on an existing mailbox address (0 = forwarding not available). */
  readonly maxForwardTargets: number;
  readonly advancedSieve: boolean;
  /** Messages sent per 24 h per address; each recipient counts as one. */
  readonly outgoingPerDay: number;
  /** Default storage quota of a new address, bytes (0 = unlimited). */
  readonly defaultQuotaBytes: number;
}

const GB = 1024 * 1024 * 1024;

export const PLANS: Readonly<Record<PlanName, PlanLimits>> = {
  starter: {
    name: 'starter',
    label: 'Mail Starter',
    maxAddresses: 1,
    catchAll: false,
    redirectsPerAddress: 1,
    maxRedirectTargets: 10,
    maxForwardTargets: 10,
    advancedSieve: false,
    outgoingPerDay: 100,
    defaultQuotaBytes: 20 * GB,
  },
  premium: {
    name: 'premium',
    label: 'Mail Premium',
    maxAddresses: Infinity,
    catchAll: true,
    redirectsPerAddress: 20,
    maxRedirectTargets: 10,
    maxForwardTargets: 100,
    advancedSieve: true,
    outgoingPerDay: 1440,
    defaultQuotaBytes: 0,
  },
};

export function isPlanName(s: string): s is PlanName {
  return Object.hasOwn(PLANS, s);
}

export function planLimits(plan: PlanName): PlanLimits {
  return PLANS[plan];
}
