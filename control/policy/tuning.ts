/**
 * A tenant's `tuning` (policy) merged over a base — the built-in defaults when a
 * policy is validated, the deployment's settings when it is applied — with the
 * level controller's and the pressure model's own checks, so a policy passes
 * exactly the range and ordering rules the code's options pass.
 */
import type { LevelConfig } from '../levels/config.js';
import { resolveLevelConfig } from '../levels/config.js';
import type { PressureConfig } from '../levels/pressure.js';
import { resolvePressureConfig, waitTarget } from '../levels/pressure.js';

/** A tenant's level-controller and pressure tuning (policy `tuning`), each field over the deployment's setting. */
export interface LevelTuning extends Partial<LevelConfig> {
  readonly pressure?: Partial<PressureConfig>;
}

/**
 * The level config of a tenant with `tuning` over `base`.
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field (`tuning.thresholds`, …)
 */
export function tenantLevelConfig(tuning: LevelTuning | undefined, base: LevelConfig, section = 'tuning'): LevelConfig {
  if (tuning === undefined) return base;
  const { pressure: _pressure, ...levels } = tuning;
  return resolveLevelConfig(levels, base, section);
}

/**
 * The pressure config of a tenant with `tuning.pressure` over `base`. A tenant
 * that sets `targetWaitMs` alone gets the ramps of {@link waitTarget} (longest
 * wait full at three times the target), as the service-level setting does.
 * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field (`tuning.pressure.weights.trunk`, …)
 */
export function tenantPressureConfig(tuning: LevelTuning | undefined, base: PressureConfig, section = 'tuning.pressure'): PressureConfig {
  const p = tuning?.pressure;
  if (p === undefined) return base;
  const t = p.targetWaitMs;
  const wait =
    p.longestWaitFullMs === undefined && typeof t === 'number' && t > 0 ? { longestWaitFullMs: waitTarget(t).longestWaitFullMs } : {};
  return resolvePressureConfig({ ...p, ...wait }, base, section);
}
