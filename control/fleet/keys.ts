/**
 * StateStore keys and channels of the control room, in one place so every
 * instance spells them the same way. The store adds its own prefix.
 */

/** Keys and channels used by control instances sharing one StateStore. */
export const KEYS = Object.freeze({
  /** Leader lease (value: the holder). */
  leader: 'control:leader',
  /** Leadership epoch, incremented by each new leader. */
  epoch: 'control:leader-epoch',
  /** The leader's last published level state (JSON). */
  levels: 'control:levels',
  /** Channel: level state published by the leader. */
  levelsChannel: 'control:levels',
  /** Channel: breaker state changes. */
  breakersChannel: 'control:breakers',
  /** Channel: operator pins. */
  overridesChannel: 'control:overrides',
  /** Channel: policy versions published. */
  policyChannel: 'control:policy',
  /** Map tenant → time of its newest trunk report. */
  trunkTenants: 'control:trunk-tenants',
});

/** Key of one breaker's shared state. */
export const breakerKey = (id: string): string => `control:breaker:${id}`;

/** Key of one probe budget (breaker id + trial). */
export const probeKey = (id: string, trial: number): string => `control:probe:${id}:${trial}`;

/** Lock guarding a tenant's policy update. */
export const policyLockKey = (tenant: string): string => `control:policy-lock:${tenant}`;

/** Fleet admission demand counter for (bucket, window). */
export const admissionKey = (bucket: string, window: number): string => `control:adm:${bucket}:${window}`;

/** Map trunk → utilisation report JSON for one tenant. */
export const trunksKey = (tenant: string): string => `control:trunks:${tenant}`;

/** Marker that a decision's outcome was taken by an instance other than the deciding one (`<prefix>-<n>`, base 36). */
export const outcomeKey = (nonce: string): string => `control:outcome:${nonce}`;

/** Channel on which the instance with id prefix `prefix` hears outcomes reported elsewhere. */
export const outcomeChannel = (prefix: string): string => `control:outcomes:${prefix}`;
