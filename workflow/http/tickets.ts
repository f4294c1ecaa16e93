import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ROLES, type Role } from '../../core/access.js';
import type {} from '../../core/http.js';
import type { Actor } from '../definition/permissions.js';
import type { Action } from '../engine/actions.js';
import type { WorkflowEngine } from '../engine/engine.js';
import type { Ticket, TicketState } from '../engine/ticket.js';
import { workflowError } from '../errors.js';
import type { TimerStore } from '../sla/timer-store.js';
import type { Clock } from '../../adapters/clock.js';
import { actorOf, expectedRevisionOf, refuseBodyActor, tenantOf } from './access.js';
import {
  actionBody,
  createTicketBody,
  errorResponses,
  flowIdPattern,
  migrateBody,
  tenantQuery,
  ticketIdParam,
  ticketSchema,
  transitionSchema,
} from './schemas.js';
import { slaStatus } from './sla-status.js';

/** What the ticket routes need. */
export interface TicketRoutesOptions {
  readonly engine: WorkflowEngine;
  readonly timers: TimerStore;
  readonly clock: Clock;
}

const READ: readonly Role[] = ROLES;
const WRITE: readonly Role[] = ['admin', 'agent'];
const CREATE: readonly Role[] = ['admin', 'agent', 'router'];
const TAGS = ['workflow'];
const withTenant = { type: 'object', additionalProperties: false, properties: { tenant: tenantQuery } } as const;
const page = {
  cursor: { type: 'string', minLength: 1, maxLength: 512 },
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
} as const;

interface CreateBody {
  tenant?: string;
  flowId?: string;
  intent?: string;
  trajectory?: string[];
  callId?: string;
  id?: string;
  title?: string;
  fields?: Record<string, unknown>;
}
type ActionBody = {
  type: Action['type'];
  todoId?: string;
  comment?: string;
  text?: string;
  fields?: Record<string, unknown>;
  to?: string;
  status?: string;
  expectedRevision?: number;
};
interface ListQuery {
  tenant?: string;
  status?: TicketState;
  flowId?: string;
  nodeId?: string;
  assignee?: string;
  createdFrom?: number;
  createdTo?: number;
  cursor?: string;
  limit?: number;
}

/** The engine action of a request body (fields the action type does not take are ignored). */
function toAction(b: ActionBody, actor: Actor): Action {
  const todo = b.todoId === undefined ? {} : { todoId: b.todoId };
  const comment = b.comment === undefined ? {} : { comment: b.comment };
  switch (b.type) {
    case 'approve':
    case 'reject':
      return { type: b.type, actor, ...todo, ...comment };
    case 'complete':
      return { type: 'complete', actor, ...todo, ...comment, ...(b.fields && { fields: b.fields }) };
    case 'comment':
      return { type: 'comment', actor, text: b.text as string };
    case 'reassign':
      return { type: 'reassign', actor, todoId: b.todoId as string, to: b.to as string };
    case 'pause':
      return { type: 'pause', actor, status: b.status as string };
    case 'resume':
      return { type: 'resume', actor };
  }
}

/** Runs before schema validation, so a body naming an actor is always answered with `body.actor`. */
const noBodyActor = async (req: FastifyRequest): Promise<void> => refuseBodyActor(req.body);

const etag = (t: Ticket): string => `"${t.revision}"`;

/** Tickets, todos and SLA status: `/v1/tickets…`, `/v1/todos`. */
export async function ticketRoutes(app: FastifyInstance, opts: TicketRoutesOptions): Promise<void> {
  const { engine } = opts;

  app.post<{ Body: CreateBody; Querystring: { tenant?: string } }>(
    '/v1/tickets',
    {
      config: { access: { roles: CREATE, action: 'create tickets' } },
      preValidation: noBodyActor,
      schema: {
        tags: TAGS,
        summary: 'Open a ticket on a flow, or on the flow an intent or IVR trajectory triggers',
        querystring: withTenant,
        body: createTicketBody,
        response: { 201: transitionSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const tenant = tenantOf(
        req.principal,
        req.query.tenant ?? b.tenant,
        req.query.tenant === undefined ? 'body.tenant' : 'querystring.tenant',
      );
      if (req.query.tenant !== undefined && b.tenant !== undefined && b.tenant !== req.query.tenant) {
        throw workflowError('SLUICE_ERR_VALIDATION', 'body.tenant and querystring.tenant disagree', { details: { field: 'body.tenant' } });
      }
      const byTrigger = b.intent !== undefined || b.trajectory !== undefined;
      if (b.flowId === undefined && !byTrigger)
        throw workflowError('SLUICE_ERR_VALIDATION', 'body.flowId is required unless body.intent or body.trajectory is given', {
          details: { field: 'body.flowId' },
        });
      if (b.flowId !== undefined && byTrigger)
        throw workflowError('SLUICE_ERR_VALIDATION', 'body.flowId cannot be combined with body.intent or body.trajectory', {
          details: { field: 'body.flowId' },
        });
      const common = {
        tenant,
        ...(b.fields && { fields: b.fields }),
        ...(b.title !== undefined && { title: b.title }),
        ...(b.id !== undefined && { id: b.id }),
      };
      const result =
        b.flowId !== undefined
          ? await engine.createTicket({ ...common, flowId: b.flowId, actor: actorOf(req.principal) })
          : await engine.createFromIvr({
              ...common,
              ...(b.intent !== undefined && { intent: b.intent }),
              ...(b.trajectory && { trajectory: b.trajectory }),
              ...(b.callId !== undefined && { callId: b.callId }),
            });
      return reply.code(201).header('etag', etag(result.ticket)).send(result);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/tickets/:id',
    {
      config: { access: { roles: READ, action: 'read tickets' } },
      schema: {
        tags: TAGS,
        summary: 'A ticket with its todos, SLA clock and audit history (ETag: its revision)',
        params: ticketIdParam,
        querystring: withTenant,
        response: { 200: ticketSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const ticket = await engine.get(tenantOf(req.principal, req.query.tenant), req.params.id);
      return reply.header('etag', etag(ticket)).send(ticket);
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/tickets',
    {
      config: { access: { roles: READ, action: 'list tickets' } },
      schema: {
        tags: TAGS,
        summary: 'The tenant’s tickets, oldest first, filtered, one page at a time (follow nextCursor)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tenant: tenantQuery,
            status: { type: 'string', enum: ['active', 'paused', 'closed'] },
            flowId: { type: 'string', pattern: flowIdPattern },
            nodeId: { type: 'string', minLength: 1, maxLength: 128 },
            assignee: { type: 'string', minLength: 1, maxLength: 128 },
            createdFrom: { type: 'integer', minimum: 0 },
            createdTo: { type: 'integer', minimum: 0 },
            ...page,
          },
        },
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: ticketSchema }, nextCursor: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const q = req.query;
      const tenant = tenantOf(req.principal, q.tenant);
      const filters = {
        ...(q.status !== undefined && { state: q.status }),
        ...(q.flowId !== undefined && { flowId: q.flowId }),
        ...(q.nodeId !== undefined && { nodeId: q.nodeId }),
        ...(q.assignee !== undefined && { assignee: q.assignee }),
        ...(q.createdFrom !== undefined && { createdFrom: q.createdFrom }),
        ...(q.createdTo !== undefined && { createdTo: q.createdTo }),
      };
      return engine.list(tenant, filters, q.cursor, q.limit);
    },
  );

  app.post<{ Params: { id: string }; Querystring: { tenant?: string }; Body: ActionBody }>(
    '/v1/tickets/:id/actions',
    {
      config: { access: { roles: WRITE, action: 'act on tickets' } },
      preValidation: noBodyActor,
      schema: {
        tags: TAGS,
        summary: 'Apply an action; a stale expectedRevision / If-Match answers 409',
        params: ticketIdParam,
        querystring: withTenant,
        body: actionBody,
        response: { 200: transitionSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const expectedRevision = expectedRevisionOf(req.body.expectedRevision, req.headers['if-match']);
      const result = await engine.act(
        tenant,
        req.params.id,
        toAction(req.body, actorOf(req.principal)),
        expectedRevision === undefined ? {} : { expectedRevision },
      );
      return reply.header('etag', etag(result.ticket)).send(result);
    },
  );

  app.post<{
    Params: { id: string };
    Querystring: { tenant?: string };
    Body: { toVersion?: number; nodeMap?: Record<string, string>; expectedRevision?: number };
  }>(
    '/v1/tickets/:id/migrate',
    {
      config: { access: { roles: WRITE, action: 'migrate tickets' } },
      preValidation: noBodyActor,
      schema: {
        tags: TAGS,
        summary: 'Move a waiting ticket to a newer version of its flow (flow admins)',
        params: ticketIdParam,
        querystring: withTenant,
        body: migrateBody,
        response: { 200: transitionSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const b = req.body;
      const expectedRevision = expectedRevisionOf(b.expectedRevision, req.headers['if-match']);
      const result = await engine.migrate(
        tenant,
        req.params.id,
        {
          actor: actorOf(req.principal),
          ...(b.nodeMap && { nodeMap: b.nodeMap }),
          ...(b.toVersion !== undefined && { toVersion: b.toVersion }),
        },
        expectedRevision === undefined ? {} : { expectedRevision },
      );
      return reply.header('etag', etag(result.ticket)).send(result);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/tickets/:id/sla',
    {
      config: { access: { roles: READ, action: 'read SLA status' } },
      schema: {
        tags: TAGS,
        summary: 'SLA of the current node: due times, time used and paused, warnings fired',
        params: ticketIdParam,
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => slaStatus(await engine.get(tenantOf(req.principal, req.query.tenant), req.params.id), opts.timers, opts.clock.now()),
  );

  app.get<{ Querystring: { tenant?: string; assignee: string; cursor?: string; limit?: number } }>(
    '/v1/todos',
    {
      config: { access: { roles: READ, action: 'read todos' } },
      schema: {
        tags: TAGS,
        summary: 'Open todos of one person, by ticket (page through tickets with nextCursor)',
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['assignee'],
          properties: { tenant: tenantQuery, assignee: { type: 'string', minLength: 1, maxLength: 128 }, ...page },
        },
        response: errorResponses,
      },
    },
    async (req) => {
      const q = req.query;
      const result = await engine.list(tenantOf(req.principal, q.tenant), { assignee: q.assignee }, q.cursor, q.limit);
      const items = result.items.flatMap((t) =>
        t.todos
          .filter((d) => d.status === 'open' && d.assignee === q.assignee)
          .map((d) => ({
            ticketId: t.id,
            todoId: d.id,
            nodeId: d.nodeId,
            kind: d.kind,
            title: d.title,
            createdAt: d.createdAt,
            ticket: {
              title: t.title,
              flowId: t.flow.id,
              flowVersion: t.flow.version,
              state: t.state,
              revision: t.revision,
              fields: t.fields,
            },
          })),
      );
      return result.nextCursor === undefined ? { items } : { items, nextCursor: result.nextCursor };
    },
  );
}
