/**
 * JSON schemas of the control routes (fastify validates requests with them and
 * serialises the route answer with the response schema).
 */
import { tenantSchema } from '../../core/access.js';
import { CALL_CONTEXT_LIMITS as CTX } from '../../core/messages.js';
import { MAX_OUTCOME_LATENCY_MS, OUTCOME_KINDS } from '../outcome.js';
import { SAFETY_ORDER } from '../types.js';

/** Same rule as the rest of the API (`core/access.ts`). */
export const tenant = tenantSchema;
const skillGroup = { type: 'string', minLength: 1, maxLength: 128 } as const;
const reason = { type: 'string', minLength: 1, maxLength: 256 } as const;

/** `POST /v1/route` body (JSON, or `application/x-www-form-urlencoded` with the same names: `ivrTrajectory` repeated). */
export const routeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['tenant', 'callId', 'skillGroup', 'priority'],
  properties: {
    tenant: { ...tenant, description: 'The tenant the call belongs to; a tenant key may name only its own tenant.' },
    callId: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      description:
        "The call's id at the proxy (e.g. the SIP Call-ID); hashed to split calls between active-active CTI nodes, logged with the decision.",
    },
    skillGroup: {
      ...skillGroup,
      description:
        'The skill group (queue) the call is for. One the tenant does not know is refused (422) unless its policy says `unknownSkillGroups: "tenant-level"`.',
    },
    priority: { type: 'string', enum: ['vip', 'high', 'normal', 'low'], description: "The caller's priority class." },
    // Carried into the callback ticket when the call is diverted to one (the queue checks the same bounds).
    intent: {
      type: 'string',
      maxLength: CTX.intentLength,
      description: "The caller's intent (e.g. from the IVR), carried into a callback ticket.",
    },
    ivrTrajectory: {
      type: 'array',
      maxItems: CTX.trajectorySteps,
      items: { type: 'string', maxLength: CTX.stepLength },
      description: 'The IVR steps before the transfer, carried into a callback ticket.',
    },
  },
} as const;

/** The error body every route answers with on failure (`app/plugins/errors.ts`). */
const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      properties: {
        code: { type: 'string', description: 'A `SLUICE_ERR_*` code (docs/errors.md).' },
        message: { type: 'string', description: 'What is wrong, naming the field and the expectation (with its unit).' },
        retriable: { type: 'boolean', description: 'Whether the same request may succeed later.' },
        field: { type: 'string', description: 'The refused field, e.g. `body.latencyMs`, when one is to blame.' },
      },
    },
  },
} as const;

const refusals = {
  400: { description: 'SLUICE_ERR_VALIDATION: a field is missing or malformed; the message names it and the expectation.', ...errorBody },
  401: { description: 'Unauthenticated: no key, or an unknown one.', ...errorBody },
  403: { description: "SLUICE_ERR_FORBIDDEN: the key's role may not do this (a `router` or `admin` key is needed).", ...errorBody },
  413: { description: 'The body is over the size limit.', ...errorBody },
  415: { description: 'Unsupported media type: a body neither JSON nor form-encoded.', ...errorBody },
  429: {
    description: 'SLUICE_ERR_RATE_LIMITED: the key sent more than its limit this second; `Retry-After` says when to retry.',
    ...errorBody,
  },
} as const;

/** `POST /v1/route` answers. */
export const routeReply = {
  200: {
    description: 'Where the call goes (see docs/integration/control-api.md for what the proxy does with each target).',
    type: 'object',
    required: ['decisionId', 'target', 'level', 'reason'],
    properties: {
      decisionId: {
        type: 'string',
        description: 'Report the outcome to `/v1/route/{decisionId}/outcome` (any control instance takes it).',
      },
      target: {
        type: 'string',
        enum: [...SAFETY_ORDER, 'reject'],
        description:
          'agent (to the CTI node `ctiNode`), smart_ivr, chat, callback, keypad_ivr, or reject (every channel unavailable: play the overload message).',
      },
      ctiNode: { type: 'string', description: 'For target agent: the CTI node (PBX, ACD) to send the call to.' },
      level: { type: 'integer', minimum: 0, maximum: 3, description: "The control level of the call's scope (L0 normal … L3 emergency)." },
      reason: { type: 'string', description: 'Why, for logs and people (not for parsing).' },
    },
  },
  ...refusals,
  404: {
    description: "SLUICE_ERR_NOT_FOUND: a tenant key named another tenant (or the route is not served by this process's role).",
    ...errorBody,
  },
  422: {
    description:
      'SLUICE_ERR_CONTROL_UNKNOWN_TENANT (`field` body.tenant): a tenant this deployment does not serve; SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP (`field` body.skillGroup): a skill group its tenant does not know. Take the local fallback; fix the name.',
    ...errorBody,
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

/**
 * Outcome answers: 204 taken (here, or handed to the instance that decided) — a repeat of one taken before too,
 * the same or a conflicting one (ignored, counted); 404 unknown, another tenant's, expired or forged; 503 another
 * instance's decision while the shared store is down.
 */
export const outcomeReply = {
  204: {
    description:
      'Outcome taken (counted once fleet-wide), or a repeat of one taken before: the same outcome again, or a conflicting one (ignored and counted in sluice_route_outcomes_total{result="conflict"}). Safe to retry.',
    type: 'null',
  },
  ...refusals,
  404: {
    description: "SLUICE_ERR_NOT_FOUND: unknown, expired (older than the decision's lifetime, 60 s), forged, or another tenant's decision.",
    ...errorBody,
  },
  503: {
    description:
      "SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE: another control instance's decision while Redis is unreachable; retry or report it to the deciding instance.",
    ...errorBody,
  },
} as const;

/**
 * Outcome body (JSON, or `application/x-www-form-urlencoded` with the same names): `outcome` and, for
 * `connected` and `failed`, `latencyMs`; or the legacy `success` with `latencyMs`. See `control/outcome.ts`.
 */
export const outcomeBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    outcome: {
      type: 'string',
      enum: [...OUTCOME_KINDS],
      description:
        "connected: the node accepted the call (its first 18x, or a 200); failed: a 5xx or a refusal; timeout: no answer from the node within the proxy's deadline; abandoned: the caller left before the node answered (not the node's fault); not-attempted: the proxy did not place the call.",
    },
    latencyMs: {
      type: 'number',
      minimum: 0,
      maximum: MAX_OUTCOME_LATENCY_MS,
      description:
        "Milliseconds from the proxy's own send to the node's first answer (not the proxy's queueing, not the ringing): required for connected and failed (and with success), ignored otherwise; 0 to 3 600 000.",
    },
    success: {
      type: 'boolean',
      description: 'Legacy form of outcome (true → connected, false → failed), with latencyMs; send outcome or success, not both.',
    },
  },
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
