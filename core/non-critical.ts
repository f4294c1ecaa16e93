/**
 * The control loop's advice on non-critical work, read by whoever does such work (the wallboard stream, the
 * report routes): while a tenant is at a degradation level whose policy says `slowNonCritical` (by default L1
 * and above), its non-critical work should go slower so routing keeps the process, ClickHouse and the network.
 * Control implements it from its own levels and policies when it runs in the process, and from the levels and
 * policies the control fleet shares through the state store when it runs elsewhere (`control/fleet/`).
 */

/** Whether a tenant's non-critical work should be slowed now. Cheap: called on every push and report. */
export interface NonCriticalGate {
  /**
   * @param tenant the tenant whose work it is; undefined for work over every tenant (a platform key's stream),
   *   which is slowed while any tenant's is
   * @returns true while the tenant is at a level whose policy slows non-critical work
   */
  slow(tenant: string | undefined): boolean;
}

/** The gate when no control loop runs anywhere this process can see: nothing is ever slowed. */
export const NEVER_SLOW: NonCriticalGate = Object.freeze({ slow: () => false });

/**
 * A gate over a set of slowed tenants, as both implementations compute it (once per tick or poll, not per call).
 * @param slowed the tenants whose non-critical work is slowed now
 */
export function gateOf(slowed: ReadonlySet<string>): NonCriticalGate {
  return { slow: (tenant) => (tenant === undefined ? slowed.size > 0 : slowed.has(tenant)) };
}
