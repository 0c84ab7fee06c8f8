// Retry schedule of a deferred recipient: quick retries first (greylisting usually lets mail in
// after a few minutes), then longer waits, capped, until the queue lifetime runs out
// (RFC 5321 §4.5.4.1: at least 30 minutes between tries to one destination, give-up after 4-5 days).
const MINUTE = 60_000;
export const RETRY_SCHEDULE_MS: readonly number[] = [
  1 * MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  60 * MINUTE,
  120 * MINUTE,
  240 * MINUTE,
];

/** Wait before the next try after `attempts` failed tries (1 = the first one failed). */
export function backoffMs(attempts: number): number {
  const i = Math.min(Math.max(attempts, 1), RETRY_SCHEDULE_MS.length) - 1;
  return RETRY_SCHEDULE_MS[i]!;
}
