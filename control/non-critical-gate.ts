/**
 * The {@link NonCriticalGate} of a process that runs the control loop: the tenants its own levels and
 * policies slow (`ControlService.slowedTenants`), recomputed at most once per `refreshMs`, so a wallboard push
 * or a report asking costs a set lookup. A process without control reads the fleet's instead
 * (`fleet/levels-reader.ts`).
 */
import type { Clock } from '../adapters/clock.js';
import { gateOf, type NonCriticalGate } from '../core/non-critical.js';

/**
 * @param source the control service (its `slowedTenants`)
 * @param refreshMs how long one answer is reused, ms (default 1000, the control tick)
 */
export function localNonCriticalGate(source: { slowedTenants(): Set<string> }, clock: Clock, refreshMs = 1_000): NonCriticalGate {
  let gate: NonCriticalGate | undefined;
  let at = Number.NEGATIVE_INFINITY;
  return {
    slow(tenant) {
      const now = clock.now();
      if (gate === undefined || now - at >= refreshMs) {
        gate = gateOf(source.slowedTenants());
        at = now;
      }
      return gate.slow(tenant);
    },
  };
}
