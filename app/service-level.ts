/**
 * The one service-level definition of each tenant (README, "Service level"): which of the four variants of
 * docs/domain.md#service-level-the-four-variants, which threshold T and which objective. A deployment default
 * (`SLUICE_SERVICE_LEVEL_MS`, `SLUICE_SERVICE_LEVEL_VARIANT`, `SLUICE_SERVICE_LEVEL_OBJECTIVE`) and per-tenant
 * overrides (`SLUICE_SERVICE_LEVEL_TENANTS`, JSON), validated at start-up and the same in every process: the
 * definition decides what the pipelines count as "within T" (the minute rows, the real-time figures) and what
 * the Prometheus counters count, so it is fixed for a process's life rather than hot-reloaded like a policy.
 * Every screen — the wallboard, `GET /v1/realtime/skillgroups`, the Prometheus gauges and the Grafana
 * dashboards — reads it from here (directly or through the figures and gauges made with it).
 */
import { Ajv } from 'ajv';
import { SERVICE_LEVEL_VARIANTS, type ServiceLevelVariant } from '../pipelines/metrics/formulas.js';
import { appError } from './errors.js';

export { SERVICE_LEVEL_VARIANTS, type ServiceLevelVariant } from '../pipelines/metrics/formulas.js';

/** One tenant's service level: the variant shown everywhere, its threshold T and its objective. */
export interface ServiceLevelDefinition {
  readonly variant: ServiceLevelVariant;
  /** Threshold T, ms: a call that waited at most T is "within T" (whole ms, 1 ms … 1 h). */
  readonly thresholdMs: number;
  /** Target ratio 0 < objective ≤ 1 (0.8 = 80 % within T). */
  readonly objective: number;
}

/** The deployment's default and the tenants that differ from it. */
export interface ServiceLevelSettings {
  readonly default: ServiceLevelDefinition;
  /** Per-tenant overrides, each a complete definition (fields the override left out come from the default). */
  readonly tenants: Readonly<Record<string, ServiceLevelDefinition>>;
}

/** The default when nothing is configured: answered within 20 s / (answered + abandoned), objective 80 %. */
export const DEFAULT_SERVICE_LEVEL: ServiceLevelDefinition = Object.freeze({
  variant: 'answeredAndAbandoned',
  thresholdMs: 20_000,
  objective: 0.8,
});

/** Most tenants `SLUICE_SERVICE_LEVEL_TENANTS` may name. */
export const MAX_SERVICE_LEVEL_TENANTS = 10_000;

/** A tenant id as `SLUICE_TENANTS` allows it. */
const TENANT_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

const OVERRIDE_SCHEMA = {
  type: 'object',
  maxProperties: MAX_SERVICE_LEVEL_TENANTS,
  propertyNames: { pattern: TENANT_PATTERN },
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    properties: {
      variant: { enum: [...SERVICE_LEVEL_VARIANTS] },
      thresholdMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
      objective: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
    },
  },
} as const;

const validateOverrides = new Ajv({ allErrors: true, strict: true }).compile(OVERRIDE_SCHEMA);

/** Whether `v` names a variant. */
export const isServiceLevelVariant = (v: unknown): v is ServiceLevelVariant => SERVICE_LEVEL_VARIANTS.includes(v as ServiceLevelVariant);

/**
 * The settings from the default's parts and the JSON of `SLUICE_SERVICE_LEVEL_TENANTS`
 * (`{"acme":{"variant":"answered","thresholdMs":17000,"objective":0.9}}`; each field optional).
 * @throws SluiceError `SLUICE_ERR_CONFIG` naming the variable and the field
 */
export function serviceLevelSettings(d: ServiceLevelDefinition, tenantsJson = ''): ServiceLevelSettings {
  if (!isServiceLevelVariant(d.variant))
    throw appError('SLUICE_ERR_CONFIG', [`SLUICE_SERVICE_LEVEL_VARIANT must be one of ${SERVICE_LEVEL_VARIANTS.join(', ')}`]);
  if (!(Number.isInteger(d.thresholdMs) && d.thresholdMs >= 1 && d.thresholdMs <= 3_600_000))
    throw appError('SLUICE_ERR_CONFIG', [`SLUICE_SERVICE_LEVEL_MS must be a whole number of ms from 1 to 3600000, got ${d.thresholdMs}`]);
  if (!(d.objective > 0 && d.objective <= 1))
    throw appError('SLUICE_ERR_CONFIG', [`SLUICE_SERVICE_LEVEL_OBJECTIVE must be a ratio above 0 and at most 1, got ${d.objective}`]);
  const base = Object.freeze({ variant: d.variant, thresholdMs: d.thresholdMs, objective: d.objective });
  const tenants: Record<string, ServiceLevelDefinition> = {};
  if (tenantsJson.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(tenantsJson);
    } catch (err) {
      throw appError('SLUICE_ERR_CONFIG', [`SLUICE_SERVICE_LEVEL_TENANTS is not JSON: ${(err as Error).message}`]);
    }
    if (!validateOverrides(parsed)) {
      const e = validateOverrides.errors?.[0];
      const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'SLUICE_SERVICE_LEVEL_TENANTS';
      const name = (e as { propertyName?: string } | undefined)?.propertyName;
      const what = name !== undefined ? `tenant "${name}" is not a tenant id` : (e?.message ?? 'is invalid');
      const allowed = e?.keyword === 'enum' ? `: ${SERVICE_LEVEL_VARIANTS.join(', ')}` : '';
      throw appError('SLUICE_ERR_CONFIG', [
        `SLUICE_SERVICE_LEVEL_TENANTS ${where === 'SLUICE_SERVICE_LEVEL_TENANTS' ? '' : `${where} `}${what}${allowed}`,
      ]);
    }
    for (const [tenant, o] of Object.entries(parsed as Record<string, Partial<ServiceLevelDefinition>>))
      tenants[tenant] = Object.freeze({ ...base, ...o });
  }
  return Object.freeze({ default: base, tenants: Object.freeze(tenants) });
}

/** The definition `tenant` uses: its override, else the deployment's default. */
export function serviceLevelOf(s: ServiceLevelSettings, tenant: string): ServiceLevelDefinition {
  return Object.hasOwn(s.tenants, tenant) ? s.tenants[tenant]! : s.default;
}
