/**
 * Each tenant's level-controller and pressure configs: its policy's `tuning`
 * over the deployment's settings, resolved once per policy version (cached by
 * the frozen tuning object). A tuning the policy validator passed (over the
 * built-in defaults) that conflicts with the deployment's own settings (say a
 * tenant's `consumerLagLow` above a deployment's `consumerLagHigh`) is reported
 * and the tenant keeps the deployment's config.
 */
import type { LevelConfig } from '../levels/config.js';
import type { PressureConfig } from '../levels/pressure.js';
import type { LevelTuning } from '../policy/schema.js';
import { tenantLevelConfig, tenantPressureConfig } from '../policy/tuning.js';

/** See the module comment. */
export class TenantTuning {
  readonly #tuningOf: (tenant: string) => LevelTuning | undefined;
  readonly #pressure: (tenant: string) => PressureConfig;
  readonly #onError: (tenant: string, err: unknown) => void;
  readonly #levels = new Map<string, { tuning: LevelTuning; base: LevelConfig; config: LevelConfig }>();
  readonly #pressures = new Map<string, { tuning: LevelTuning; base: PressureConfig; config: PressureConfig }>();

  /**
   * @param tuningOf the tuning of a tenant's policy in force
   * @param pressure the deployment's pressure config for a tenant (at the tenant's own service level)
   * @param onError told once per policy version whose tuning cannot be applied here
   */
  constructor(
    tuningOf: (tenant: string) => LevelTuning | undefined,
    pressure: (tenant: string) => PressureConfig,
    onError: (tenant: string, err: unknown) => void,
  ) {
    this.#tuningOf = tuningOf;
    this.#pressure = pressure;
    this.#onError = onError;
  }

  /** `tenant`'s level config: its tuning over `base` (the deployment's config for the tenant). */
  level(tenant: string, base: LevelConfig): LevelConfig {
    const tuning = this.#tuningOf(tenant);
    if (tuning === undefined) {
      this.#levels.delete(tenant);
      return base;
    }
    const hit = this.#levels.get(tenant);
    if (hit !== undefined && hit.tuning === tuning && hit.base === base) return hit.config;
    let config = base;
    try {
      config = tenantLevelConfig(tuning, base);
    } catch (err) {
      this.#onError(tenant, err);
    }
    this.#levels.set(tenant, { tuning, base, config });
    return config;
  }

  /** `tenant`'s pressure config: its tuning over the deployment's for the tenant. */
  pressure(tenant: string): PressureConfig {
    const base = this.#pressure(tenant);
    const tuning = this.#tuningOf(tenant);
    if (tuning === undefined) {
      this.#pressures.delete(tenant);
      return base;
    }
    const hit = this.#pressures.get(tenant);
    if (hit !== undefined && hit.tuning === tuning && hit.base === base) return hit.config;
    let config = base;
    try {
      config = tenantPressureConfig(tuning, base);
    } catch (err) {
      this.#onError(tenant, err);
    }
    this.#pressures.set(tenant, { tuning, base, config });
    return config;
  }
}
