/**
 * Level-controller options, per tenant, and their validation.
 */
import { configError, resolveConfig } from '../errors.js';

/** Options of the level controller for one tenant. Durations in ms, pressures in [0, 1]. */
export interface LevelConfig {
  /** Pressure at which L1, L2 and L3 are entered; strictly increasing, in (0, 1]. */
  readonly thresholds: readonly [number, number, number];
  /** Recovery from level L needs pressure below thresholds[L−1] − hysteresis. */
  readonly hysteresis: number;
  /** Consecutive ticks above a threshold before the first escalation step (≥ 1). */
  readonly escalateTicks: number;
  /** Base hold: pressure must stay low this long before each recovery step, ms. */
  readonly holdMs: number;
  /** Cap on the hold after repeated quick re-escalations, ms. */
  readonly holdMaxMs: number;
  /** With no escalation for this long, the hold returns to `holdMs`, ms. */
  readonly holdResetMs: number;
  /** Longest an operator may pin a level, ms. */
  readonly maxOverrideMs: number;
}

/** Defaults: L1 at 0.5, L2 at 0.7, L3 at 0.85; 0.1 hysteresis; 30 s hold growing to 8 min. */
export const DEFAULT_LEVEL_CONFIG: LevelConfig = Object.freeze({
  thresholds: Object.freeze([0.5, 0.7, 0.85]) as unknown as readonly [number, number, number],
  hysteresis: 0.1,
  escalateTicks: 1,
  holdMs: 30_000,
  holdMaxMs: 480_000,
  holdResetMs: 900_000,
  maxOverrideMs: 4 * 3_600_000,
});

/**
 * Merges `partial` over `base` and validates.
 * @param section prefix for field names, e.g. `levels.tenants.acme`
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field
 */
export function resolveLevelConfig(
  partial?: Partial<LevelConfig>,
  base: LevelConfig = DEFAULT_LEVEL_CONFIG,
  section = 'levels',
): LevelConfig {
  const c = resolveConfig(section, base, partial, {
    hysteresis: { min: 0, lt: 1 },
    escalateTicks: { int: true, min: 1 },
    holdMs: { int: true, min: 0 },
    holdMaxMs: { int: true, min: 0 },
    holdResetMs: { int: true, min: 0 },
    maxOverrideMs: { int: true, min: 1 },
  });
  const t = c.thresholds as unknown;
  const valid =
    Array.isArray(t) &&
    t.length === 3 &&
    t.every((x) => typeof x === 'number' && x > 0 && x <= 1) &&
    (t[0] as number) < (t[1] as number) &&
    (t[1] as number) < (t[2] as number);
  if (!valid) configError(`${section}.thresholds`, 'three strictly increasing pressures in (0, 1]', t);
  if (c.hysteresis >= c.thresholds[0])
    configError(`${section}.hysteresis`, `< ${section}.thresholds[0] (${c.thresholds[0]})`, c.hysteresis);
  if (c.holdMaxMs < c.holdMs) configError(`${section}.holdMaxMs`, `≥ ${section}.holdMs (${c.holdMs})`, c.holdMaxMs);
  return Object.freeze({ ...c, thresholds: Object.freeze([...c.thresholds]) as unknown as LevelConfig['thresholds'] });
}

/** Defaults plus per-tenant overrides, all validated once. */
export interface LevelConfigs {
  /** Config for `tenant` (the defaults when it has none of its own). */
  forTenant(tenant: string): LevelConfig;
}

/**
 * Validates defaults and per-tenant overrides up front.
 * @param tenants per-tenant partial configs, merged over `defaults`
 */
export function resolveLevelConfigs(
  defaults?: Partial<LevelConfig>,
  tenants: Readonly<Record<string, Partial<LevelConfig>>> = {},
): LevelConfigs {
  const base = resolveLevelConfig(defaults);
  const byTenant = new Map<string, LevelConfig>();
  for (const [tenant, partial] of Object.entries(tenants))
    byTenant.set(tenant, resolveLevelConfig(partial, base, `levels.tenants.${tenant}`));
  return { forTenant: (tenant) => byTenant.get(tenant) ?? base };
}
