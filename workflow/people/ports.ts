import type { Person } from './assignment.js';

/** A reference to people: one user, a group or an organisation. */
export interface PrincipalRef {
  readonly kind: 'user' | 'group' | 'organisation';
  readonly id: string;
}

/** Who belongs where. Implemented over the tenant's user directory (or config). */
export interface PeopleDirectory {
  /** People a ref stands for, in the tenant; an unknown user id yields that user alone, an unknown group nobody. */
  resolve(tenant: string, ref: PrincipalRef): Promise<Person[]>;
}

/** How busy people are. */
export interface WorkloadSource {
  /** Open todos per user id in the tenant (users with none may be left out). */
  openTodoCounts(tenant: string, userIds: readonly string[]): Promise<Map<string, number>>;
}

/** Shared round-robin position per pool, so instances take turns fairly (Redis `INCR`). */
export interface RoundRobinCounter {
  /** Returns the pool's counter and advances it by one. */
  next(tenant: string, poolKey: string): Promise<number>;
}
