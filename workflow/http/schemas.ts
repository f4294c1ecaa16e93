/**
 * JSON schemas of the workflow routes: they validate requests (fastify/Ajv) and describe
 * the API in the OpenAPI document (@fastify/swagger). Objects in responses keep
 * `additionalProperties: true` so nothing a ticket carries is dropped by the serializer.
 */
import { WORKFLOW_LIMITS as L } from '../limits.js';
import { TENANT_PATTERN } from '../../core/access.js';

/** `tenant` in a querystring (required for platform keys). */
export const tenantQuery = {
  type: 'string',
  pattern: TENANT_PATTERN,
  description: 'Tenant to act on; platform keys must name it, tenant keys may only name their own.',
} as const;

/**
 * A ticket id in a path. At most 100 characters, fastify's `maxParamLength`: an id the API
 * accepts at creation is always usable in `/v1/tickets/{id}` (longer ones would answer 414).
 */
export const ticketIdParam = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${L.maxIdLength - 1}}$` } },
} as const;

/** A flow id in a path (at most 100 characters, like ticket ids). */
export const flowIdPattern = `^[A-Za-z0-9][A-Za-z0-9._-]{0,${L.maxIdLength - 1}}$`;

/** Free-form business fields of a ticket (their nesting and sizes are bounded by the engine, see README). */
const fields = {
  type: 'object',
  additionalProperties: true,
  maxProperties: L.maxFieldEntries,
  description: `Business fields (e.g. \`amount\`), read by flow conditions. At most ${L.maxFieldDepth} levels of nesting, ${L.maxFieldEntries} keys or items per object or array, ${L.maxFieldValues} values in all, strings of ${L.maxFieldStringLength} characters.`,
} as const;

const open = (properties: Record<string, unknown>, required: readonly string[] = []) =>
  ({ type: 'object', additionalProperties: true, required, properties }) as const;

/** A ticket as returned (the full record: todos, SLA clock, comments, audit history). */
export const ticketSchema = open(
  {
    tenant: { type: 'string' },
    id: { type: 'string' },
    flow: open({ id: { type: 'string' }, version: { type: 'integer' } }),
    title: { type: 'string' },
    state: { type: 'string', enum: ['active', 'paused', 'closed'] },
    nodeId: { type: 'string' },
    outcome: { type: 'string' },
    fields,
    todos: {
      type: 'array',
      items: open({ id: { type: 'string' }, nodeId: { type: 'string' }, status: { type: 'string' }, assignee: { type: 'string' } }),
    },
    history: {
      type: 'array',
      items: open({ seq: { type: 'integer' }, at: { type: 'integer' }, actor: { type: 'string' }, action: { type: 'string' } }),
    },
    revision: { type: 'integer', description: 'Optimistic concurrency revision: send it back as expectedRevision or If-Match.' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
  ['tenant', 'id', 'flow', 'state', 'nodeId', 'revision'],
);

/** A transition's answer. */
export const transitionSchema = open(
  { ticket: ticketSchema, events: { type: 'array', items: open({ type: { type: 'string' }, at: { type: 'integer' } }) } },
  ['ticket', 'events'],
);

/** The error body every route answers with on failure. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' }, retriable: { type: 'boolean' }, field: { type: 'string' } },
    },
  },
} as const;

/** Error responses shared by the routes, for the OpenAPI document. */
export const errorResponses = { 400: errorSchema, 404: errorSchema, 409: errorSchema, 422: errorSchema } as const;

/** Body of `POST /v1/tickets`. */
export const createTicketBody = {
  type: 'object',
  additionalProperties: false,
  description: 'Either `flowId` (open on that flow), or `intent` and/or `trajectory` (open on the flow whose trigger matches).',
  properties: {
    tenant: { type: 'string', pattern: TENANT_PATTERN },
    flowId: { type: 'string', pattern: flowIdPattern },
    intent: { type: 'string', minLength: 1, maxLength: 128 },
    trajectory: { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } },
    callId: { type: 'string', minLength: 1, maxLength: 128 },
    id: ticketIdParam.properties.id,
    title: { type: 'string', maxLength: 500 },
    fields,
  },
} as const;

const ACTIONS = ['approve', 'reject', 'complete', 'comment', 'reassign', 'pause', 'resume'] as const;
// biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable
const needs = (type: string, field: string) => ({ if: { properties: { type: { const: type } } }, then: { required: [field] } });

/** Body of `POST /v1/tickets/:id/actions`. */
export const actionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  description: 'One action. `comment` needs `text`, `reassign` needs `todoId` and `to`, `pause` needs `status`.',
  properties: {
    type: { type: 'string', enum: ACTIONS },
    todoId: { type: 'string', minLength: 1, maxLength: 64 },
    comment: { type: 'string', maxLength: 10_000 },
    text: { type: 'string', minLength: 1, maxLength: 10_000 },
    fields,
    to: { type: 'string', minLength: 1, maxLength: 128 },
    status: { type: 'string', minLength: 1, maxLength: 64 },
    expectedRevision: {
      type: 'integer',
      minimum: 1,
      description: 'Revision last read; a newer stored one answers 409 (also as If-Match).',
    },
  },
  allOf: [needs('comment', 'text'), needs('reassign', 'todoId'), needs('reassign', 'to'), needs('pause', 'status')],
} as const;

/** Body of `POST /v1/tickets/:id/migrate`. */
export const migrateBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    toVersion: { type: 'integer', minimum: 1, maximum: L.maxFlowVersion, description: 'Target version (default the latest).' },
    nodeMap: {
      type: 'object',
      additionalProperties: { type: 'string', minLength: 1 },
      description: 'Old node id → new node id, for renamed nodes.',
    },
    expectedRevision: { type: 'integer', minimum: 1 },
  },
} as const;
