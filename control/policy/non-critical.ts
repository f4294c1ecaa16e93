/**
 * Which tenants' non-critical work (wallboard pushes, report queries) is slowed: a tenant is slowed while the
 * highest level of any of its scopes (the tenant's own, or one of its skill groups') is a level whose policy
 * says `slowNonCritical` — by default L1 and above. Pure; both the control instance (from its own levels) and a
 * process without control (from the levels the fleet shares, `fleet/levels-reader.ts`) compute it this way.
 */
import type { Level } from '../types.js';
import type { TenantPolicy } from './schema.js';

/** One scope's level: a tenant's, or one of its skill groups'. */
export interface ScopeLevelOf {
  readonly tenant: string;
  readonly level: Level;
}

/**
 * The tenants whose non-critical work is slowed now.
 * @param levels every scope's level (a tenant's scopes may come in any order)
 * @param policyOf the policy in force for a tenant
 * @example slowedTenants([{ tenant: 'acme', level: 1 }], () => DEFAULT_POLICY) // Set { 'acme' }
 */
export function slowedTenants(levels: Iterable<ScopeLevelOf>, policyOf: (tenant: string) => TenantPolicy): Set<string> {
  const highest = new Map<string, Level>();
  for (const { tenant, level } of levels) {
    const seen = highest.get(tenant);
    if (seen === undefined || level > seen) highest.set(tenant, level);
  }
  const slowed = new Set<string>();
  for (const [tenant, level] of highest) if (policyOf(tenant).levels[`L${level}`].slowNonCritical) slowed.add(tenant);
  return slowed;
}
