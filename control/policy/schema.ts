/**
 * The per-tenant policy: what each level does (`levels`), and optionally the
 * tenant's CTI nodes (`ctiNodes`) and the tuning of its level controller and
 * pressure model (`tuning`). Validated in one path: the JSON schema (compiled
 * once with ajv) for shapes and types, then the level controller's and the
 * pressure model's own range and ordering checks for `tuning`, and the rules a
 * schema cannot say for `ctiNodes` (distinct names, a primary). Every refusal
 * names the field (`levels.L2.admission.ratePerSec must be >= 0`,
 * `tuning.thresholds must be three strictly increasing pressures…`).
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { isSluiceError } from '../../core/errors.js';
import { controlError } from '../errors.js';
import { DEFAULT_LEVEL_CONFIG } from '../levels/config.js';
import { COMPONENTS, DEFAULT_PRESSURE_CONFIG } from '../levels/pressure.js';
import { tenantLevelConfig, tenantPressureConfig } from './tuning.js';
import type { LevelTuning } from './tuning.js';

export type { LevelTuning } from './tuning.js';
import { PRIORITIES, SAFETY_ORDER } from '../types.js';
import { ALERT_CHANNELS, type AlertChannelName } from '../../core/alerts.js';
import type { Channel, Priority } from '../types.js';

/** What one level does for a tenant. */
export interface LevelPolicy {
  /** Targets in fallback order (the first whose breaker is not open wins). */
  readonly targets: readonly Channel[];
  /** Priorities still sent to agents at this level; others skip the `agent` target. */
  readonly agentPriorities: readonly Priority[];
  /** Admission limit for the tenant (token bucket), or null for none. */
  readonly admission: { readonly ratePerSec: number; readonly burst: number } | null;
  /** Backup CTI takes traffic too (active-active, weighted by health), not only on failover. */
  readonly backupActive: boolean;
  /** Non-critical work (wallboard push, report queries, fine-grained aggregation) is slowed. */
  readonly slowNonCritical: boolean;
  /** Every caller diverted away from agents also gets a callback ticket. */
  readonly ticketOnDivert: boolean;
}

/** Level keys in the JSON form. */
export const LEVEL_KEYS = ['L0', 'L1', 'L2', 'L3'] as const;

/** Most CTI nodes one tenant's policy may name. */
export const MAX_CTI_NODES = 8;

/** What a CTI node name may look like (it becomes the breaker key `cti:<name>`). */
export const CTI_NODE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

/** One CTI node a tenant's agent calls go to. */
export interface CtiNodePolicy {
  readonly name: string;
  /** Relative share among the nodes in use, > 0 (multiplied by the node's health weight). */
  readonly weight: number;
  /** Primaries take the calls; backups take them when every primary is unavailable, or share them at levels with `backupActive`. */
  readonly role: 'primary' | 'backup';
}

/** Who a centre alert goes to and over what (each rule may override the section's). */
export interface AlertTarget {
  /** Recipient refs (`group:on-duty-supervisors`, `user:ann`), resolved by the people directory. */
  readonly notify?: readonly string[];
  /** Channel (default `message`: each person's preferred one). */
  readonly channel?: AlertChannelName;
}

/** The tenant's centre alerts: who hears of a high level, an open breaker, a low service level. */
export interface AlertRules extends AlertTarget {
  /** Language of the tenant's alerts (a person's own language wins; default the deployment's). */
  readonly language?: string;
  /** An alert of one kind and subject is sent at most once in this many minutes across every instance (default 15). */
  readonly cooldownMinutes?: number;
  /** The tenant (any of its scopes) reaches this level or higher: one alert per level reached. */
  readonly level?: AlertTarget & { readonly atLeast: 'L1' | 'L2' | 'L3' };
  /** A breaker the tenant's calls depend on opens (its own per target, and the shared CTI and channel breakers). */
  readonly breakerOpen?: AlertTarget;
  /** A queue's service level (current interval) stays under `below` for `forMinutes`. */
  readonly serviceLevel?: AlertTarget & {
    readonly below: number;
    readonly forMinutes: number;
    /** Only these skill groups (default every one). */
    readonly skillGroups?: readonly string[];
  };
}

/** Most recipient refs one alert rule may name. */
export const MAX_ALERT_RECIPIENTS = 16;

/** A tenant's policy table. */
export interface TenantPolicy {
  readonly levels: Readonly<Record<(typeof LEVEL_KEYS)[number], LevelPolicy>>;
  /** The tenant's CTI nodes; without them, the deployment's (`cti-primary`, `cti-backup` by default). */
  readonly ctiNodes?: readonly CtiNodePolicy[];
  /** Thresholds, hysteresis, holds, pressure weights and ramps; without them, the deployment's. */
  readonly tuning?: LevelTuning;
  /** Centre alerts (level reached, breaker open, service level low); without them, none. */
  readonly alerts?: AlertRules;
  /**
   * Skill groups the tenant's calls may name besides those seen in its events (a group known before its
   * first event, e.g. on a fresh deployment); at most {@link MAX_DECLARED_SKILL_GROUPS}.
   */
  readonly skillGroups?: readonly string[];
  /**
   * What `POST /v1/route` does with a skill group that is neither declared nor seen in the events:
   * `refuse` (default: 422 `SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP` naming it, so a typo in a dialplan shows at
   * once) or `tenant-level` (route it at the tenant's level, counted and logged).
   */
  readonly unknownSkillGroups?: 'refuse' | 'tenant-level';
}

/** Most skill groups a policy may declare (the default bound of skill groups tracked per tenant). */
export const MAX_DECLARED_SKILL_GROUPS = 5_000;

const num = { type: 'number' } as const;
const int = { type: 'integer' } as const;
const PRESSURE_NUMBERS = Object.keys(DEFAULT_PRESSURE_CONFIG).filter((k) => k !== 'weights' && k !== 'dominant');
const LEVEL_INTEGERS = Object.keys(DEFAULT_LEVEL_CONFIG).filter((k) => k !== 'thresholds' && k !== 'hysteresis');

/** JSON schema of {@link TenantPolicy} (draft 2020-12 subset understood by ajv). */
export const POLICY_SCHEMA = Object.freeze({
  $id: 'https://sluice.dev/schemas/control/tenant-policy.json',
  type: 'object',
  additionalProperties: false,
  required: ['levels'],
  properties: {
    levels: {
      type: 'object',
      additionalProperties: false,
      required: [...LEVEL_KEYS],
      properties: Object.fromEntries(LEVEL_KEYS.map((k) => [k, { $ref: '#/$defs/level' }])),
    },
    ctiNodes: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_CTI_NODES,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'weight', 'role'],
        properties: {
          name: { type: 'string', pattern: CTI_NODE_PATTERN },
          weight: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
          role: { enum: ['primary', 'backup'] },
        },
      },
    },
    alerts: {
      type: 'object',
      additionalProperties: false,
      properties: {
        notify: { $ref: '#/$defs/notify' },
        channel: { $ref: '#/$defs/channel' },
        language: { type: 'string', maxLength: 35, pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$' },
        cooldownMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
        level: {
          type: 'object',
          additionalProperties: false,
          required: ['atLeast'],
          properties: { atLeast: { enum: ['L1', 'L2', 'L3'] }, notify: { $ref: '#/$defs/notify' }, channel: { $ref: '#/$defs/channel' } },
        },
        breakerOpen: {
          type: 'object',
          additionalProperties: false,
          properties: { notify: { $ref: '#/$defs/notify' }, channel: { $ref: '#/$defs/channel' } },
        },
        serviceLevel: {
          type: 'object',
          additionalProperties: false,
          required: ['below', 'forMinutes'],
          properties: {
            below: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
            forMinutes: { type: 'integer', minimum: 1, maximum: 1440 },
            skillGroups: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              uniqueItems: true,
              items: { type: 'string', minLength: 1, maxLength: 128 },
            },
            notify: { $ref: '#/$defs/notify' },
            channel: { $ref: '#/$defs/channel' },
          },
        },
      },
    },
    skillGroups: {
      type: 'array',
      maxItems: MAX_DECLARED_SKILL_GROUPS,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 128 },
    },
    unknownSkillGroups: { enum: ['refuse', 'tenant-level'] },
    tuning: {
      type: 'object',
      additionalProperties: false,
      properties: {
        thresholds: { type: 'array', minItems: 3, maxItems: 3, items: num },
        hysteresis: num,
        ...Object.fromEntries(LEVEL_INTEGERS.map((k) => [k, int])),
        pressure: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...Object.fromEntries(PRESSURE_NUMBERS.map((k) => [k, num])),
            weights: { type: 'object', additionalProperties: false, properties: Object.fromEntries(COMPONENTS.map((k) => [k, num])) },
            dominant: { type: 'array', maxItems: COMPONENTS.length, uniqueItems: true, items: { enum: [...COMPONENTS] } },
          },
        },
      },
    },
  },
  $defs: {
    notify: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_ALERT_RECIPIENTS,
      uniqueItems: true,
      items: { type: 'string', minLength: 3, maxLength: 256, pattern: '^[a-z]+:[^\\u0000-\\u001f\\u007f]+$' },
    },
    channel: { enum: [...ALERT_CHANNELS] },
    level: {
      type: 'object',
      additionalProperties: false,
      required: ['targets', 'agentPriorities', 'admission', 'backupActive', 'slowNonCritical', 'ticketOnDivert'],
      properties: {
        targets: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SAFETY_ORDER] } },
        agentPriorities: { type: 'array', uniqueItems: true, items: { enum: [...PRIORITIES] } },
        admission: {
          type: ['object', 'null'],
          additionalProperties: false,
          required: ['ratePerSec', 'burst'],
          properties: {
            ratePerSec: { type: 'number', minimum: 0 },
            burst: { type: 'number', exclusiveMinimum: 0 },
          },
        },
        backupActive: { type: 'boolean' },
        slowNonCritical: { type: 'boolean' },
        ticketOnDivert: { type: 'boolean' },
      },
    },
  },
});

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(POLICY_SCHEMA);

/** `/levels/L2/targets/0` → `levels.L2.targets[0]`. */
function fieldOf(instancePath: string): string {
  if (instancePath === '') return 'policy';
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '');
}

/** One readable message per ajv error, naming the field. */
export function describeAjvError(e: ErrorObject): string {
  const field = fieldOf(e.instancePath);
  const join = (a: string, b: string): string => (a === 'policy' ? b : `${a}.${b}`);
  switch (e.keyword) {
    case 'required':
      return `${join(field, String(e.params.missingProperty))} is required`;
    case 'additionalProperties':
      return `${join(field, String(e.params.additionalProperty))} is not a known field`;
    case 'enum':
      return `${field} must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern':
      if (/\.notify\[\d+\]$/.test(field))
        return `${field} must be a recipient ref kind:id (group:on-duty-supervisors, user:ann) without control characters`;
      if (field.endsWith('.language')) return `${field} must be a BCP 47 language tag such as en or zh-CN`;
      return `${field} ${e.message ?? 'is invalid'}`;
    case 'uniqueItems':
      return `${field} must not repeat items (items ${e.params.j} and ${e.params.i} are equal)`;
    default:
      return `${field} ${e.message ?? 'is invalid'}`;
  }
}

/**
 * Validates `input` as a {@link TenantPolicy} and returns a deep-frozen copy.
 * @throws SluiceError `SLUICE_ERR_POLICY_INVALID` listing every offending field
 */
export function validatePolicy(input: unknown): TenantPolicy {
  if (!validate(input)) {
    const messages = [...new Set((validate.errors ?? []).map(describeAjvError))];
    throw controlError('SLUICE_ERR_POLICY_INVALID', messages.join('; '));
  }
  const p = input as unknown as TenantPolicy;
  const messages: string[] = [];
  if (p.ctiNodes !== undefined) {
    const seen = new Set<string>();
    p.ctiNodes.forEach((n, i) => {
      if (seen.has(n.name)) messages.push(`ctiNodes[${i}].name repeats the CTI node ${n.name}`);
      seen.add(n.name);
    });
    if (!p.ctiNodes.some((n) => n.role === 'primary')) messages.push('ctiNodes must name at least one node with role primary');
  }
  if (p.alerts !== undefined) {
    for (const rule of ['level', 'breakerOpen', 'serviceLevel'] as const) {
      if (p.alerts[rule] !== undefined && p.alerts[rule]?.notify === undefined && p.alerts.notify === undefined) {
        messages.push(`alerts.${rule}.notify is required when alerts.notify is not set (who hears of it)`);
      }
    }
  }
  if (p.tuning !== undefined) {
    // The controller's and the pressure model's own checks, over the built-in defaults.
    for (const check of [
      () => tenantLevelConfig(p.tuning, DEFAULT_LEVEL_CONFIG),
      () => tenantPressureConfig(p.tuning, DEFAULT_PRESSURE_CONFIG),
    ]) {
      try {
        check();
      } catch (e) {
        if (!isSluiceError(e) || e.code !== 'SLUICE_ERR_CONTROL_CONFIG_INVALID') throw e;
        messages.push(e.message.replace(/^invalid control configuration: /, ''));
      }
    }
  }
  if (messages.length > 0) throw controlError('SLUICE_ERR_POLICY_INVALID', messages.join('; '));
  return deepFreeze(structuredClone(input) as unknown as TenantPolicy);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
