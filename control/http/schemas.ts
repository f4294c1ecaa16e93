/**
 * JSON schemas of the control routes (fastify validates requests with them and
 * serialises the route answer with the response schema).
 */
import { tenantSchema } from '../../core/access.js';
import { CALL_CONTEXT_LIMITS as CTX } from '../../core/messages.js';
import { SAFETY_ORDER } from '../types.js';

/** Same rule as the rest of the API (`core/access.ts`). */
export const tenant = tenantSchema;
const skillGroup = { type: 'string', minLength: 1, maxLength: 128 } as const;
const reason = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** `POST /v1/route` body. */
export const routeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'callId', 'skillGroup', 'priority'],
  properties: {
    tenant,
    callId: { type: 'string', minLength: 1, maxLength: 128 },
    skillGroup,
    priority: { type: 'string', enum: ['vip', 'high', 'normal', 'low'] },
    // Carried into the callback ticket when the call is diverted to one (the queue checks the same bounds).
    intent: { type: 'string', maxLength: CTX.intentLength },
    ivrTrajectory: { type: 'array', maxItems: CTX.trajectorySteps, items: { type: 'string', maxLength: CTX.stepLength } },
  },
} as const;

/** `POST /v1/route` answer. */
export const routeReply = {
  200: {
    type: 'object',
    required: ['decisionId', 'target', 'level', 'reason'],
    properties: {
      decisionId: { type: 'string' },
      target: { type: 'string', enum: [...SAFETY_ORDER, 'reject'] },
      ctiNode: { type: 'string' },
      level: { type: 'integer', minimum: 0, maximum: 3 },
      reason: { type: 'string' },
    },
  },
} as const;

/**
 * `:decisionId` parameter: the characters a decision id is made of (`runtime/decision-id.ts`); an id of
 * that alphabet that no instance issued, or whose signature does not match, is answered 404.
 */
export const decisionParams = {
  type: 'object',
  required: ['decisionId'],
  properties: { decisionId: { type: 'string', pattern: '^[A-Za-z0-9._:~-]{1,300}$' } },
} as const;

/** The error body every route answers with on failure (`app/plugins/errors.ts`). */
const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, retriable: { type: 'boolean' } },
    },
  },
} as const;

/** Outcome answers: 204 taken (here, or handed to the instance that decided); 404 unknown, another tenant's, expired, already reported or forged; 503 another instance's decision while the shared store is down. */
export const outcomeReply = {
  204: { description: 'Outcome taken (counted once fleet-wide).', type: 'null' },
  404: { description: "SLUICE_ERR_NOT_FOUND: unknown, expired, already reported, forged, or another tenant's decision.", ...errorBody },
  503: {
    description:
      "SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE: another control instance's decision while Redis is unreachable; retry or report it to the deciding instance.",
    ...errorBody,
  },
} as const;

/** Outcome body. */
export const outcomeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['success', 'latencyMs'],
  properties: { success: { type: 'boolean' }, latencyMs: { type: 'number', minimum: 0, maximum: 3_600_000 } },
} as const;

/** `?tenant=` for reads. */
export const tenantQuery = { type: 'object', additionalProperties: false, properties: { tenant } } as const;

/** `PUT /v1/control/policy` body; the policy itself is checked by the core's validator (it names each bad field). */
export const policyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['policy'],
  properties: {
    tenant,
    policy: {
      type: 'object',
      description:
        'The tenant policy (control/README.md#policy-document): `levels` (L0–L3: targets, agentPriorities, admission, backupActive, ' +
        'slowNonCritical, ticketOnDivert), optional `ctiNodes` ([{ name, weight, role: primary|backup }], 1–8 nodes, at least one primary) ' +
        'and optional `tuning` (thresholds, hysteresis, escalateTicks, holdMs, holdMaxMs, holdResetMs, maxOverrideMs, and `pressure`: ' +
        'targetWaitMs, longestWaitFullMs, …, weights, dominant). Validated as a whole; each refused field is named.',
    },
    expectedVersion: { type: 'integer', minimum: 0 },
  },
} as const;

/** `PUT /v1/control/trunks` body: one trunk's utilisation, from the SBC/PBX (or a bridge) that carries it. */
export const trunkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['trunk', 'utilisation'],
  properties: {
    tenant,
    trunk: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$', description: 'Trunk (or trunk group) name' },
    utilisation: { type: 'number', minimum: 0, maximum: 1, description: 'Share of the trunk in use, 0..1' },
    ts: { type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000, description: 'Measurement time, epoch ms (default: arrival)' },
  },
} as const;

const trunkReading = {
  type: 'object',
  required: ['trunk', 'utilisation', 'at'],
  properties: { trunk: { type: 'string' }, utilisation: { type: 'number' }, at: { type: 'integer' } },
} as const;

/** `PUT /v1/control/trunks` answer. */
export const trunkReply = {
  200: {
    type: 'object',
    required: ['tenant', 'trunk', 'utilisation', 'at', 'expiresAt', 'trunks', 'tenantUtilisation'],
    properties: {
      tenant: { type: 'string' },
      trunk: { type: 'string' },
      utilisation: { type: 'number' },
      at: { type: 'integer' },
      expiresAt: { type: 'integer', description: 'When this report stops counting, epoch ms' },
      trunks: { type: 'integer', description: "The tenant's trunks reporting now" },
      tenantUtilisation: { type: 'number', description: "The tenant's trunk signal: the highest report still counting" },
    },
  },
} as const;

/** `GET /v1/control/trunks` answer. */
export const trunksReply = {
  200: {
    type: 'object',
    required: ['tenant', 'ttlMs', 'trunks'],
    properties: {
      tenant: { type: 'string' },
      ttlMs: { type: 'integer' },
      utilisation: { type: 'number', description: 'The highest report still counting (absent: none)' },
      trunks: { type: 'array', items: trunkReading },
    },
  },
} as const;

/** Rollback body. */
export const rollbackBody = {
  type: 'object',
  additionalProperties: false,
  properties: { tenant, expectedVersion: { type: 'integer', minimum: 0 } },
} as const;

/** `POST /v1/control/overrides` body. */
export const overrideBody = {
  type: 'object',
  additionalProperties: false,
  required: ['level', 'forMs', 'reason'],
  properties: { tenant, skillGroup, level: { type: 'integer', minimum: 0, maximum: 3 }, forMs: { type: 'integer', minimum: 1 }, reason },
} as const;

/** `DELETE /v1/control/overrides` query. */
export const clearOverrideQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { tenant, skillGroup, reason },
} as const;

/** `:key` of a breaker. */
export const breakerParams = {
  type: 'object',
  required: ['key'],
  properties: { key: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** Force body: `forMs` is required unless the force is being cleared. */
export const forceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: { mode: { type: 'string', enum: ['open', 'closed', 'clear'] }, forMs: { type: 'integer', minimum: 1 }, reason },
  if: { properties: { mode: { enum: ['open', 'closed'] } } },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
  then: { required: ['forMs'] },
} as const;
