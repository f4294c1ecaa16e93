/**
 * The per-tenant policy table: what each level does. Validated against a JSON
 * schema compiled once with ajv; every ajv error becomes a message that names
 * the field (`levels.L2.admission.ratePerSec must be >= 0`).
 */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import { controlError } from '../errors.js';
import { PRIORITIES, SAFETY_ORDER } from '../types.js';
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

/** A tenant's policy table. */
export interface TenantPolicy {
  readonly levels: Readonly<Record<(typeof LEVEL_KEYS)[number], LevelPolicy>>;
}

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
  },
  $defs: {
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
  return deepFreeze(structuredClone(input) as unknown as TenantPolicy);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
