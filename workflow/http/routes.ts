import type { FastifyInstance } from 'fastify';
import { ROLES, type Role } from '../../core/access.js';
import type {} from '../../core/http.js';
import type { Clock } from '../../adapters/clock.js';
import { tenantOf } from './access.js';
import { errorResponses, flowIdPattern, tenantQuery } from './schemas.js';
import { ticketRoutes } from './tickets.js';
import type { CompiledFlow } from '../definition/compile.js';
import { parseFlowSource, type FlowFormat } from '../definition/load.js';
import type { WorkflowEngine } from '../engine/engine.js';
import type { FlowCatalog } from '../engine/flow-store.js';
import { workflowError } from '../errors.js';
import type { HistoryQueries } from '../history/types.js';
import { slaReportRoutes } from './reports.js';
import { directoryRoutes } from './directory.js';
import { scimRoutes } from './scim.js';
import type { Directory } from '../people/directory.js';
import { studioRoutes } from './studio.js';
import type { TimerStore } from '../sla/timer-store.js';

/** Options of {@link workflowRoutes}: what {@link createWorkflow} returns as `routes`. */
export interface WorkflowRoutesOptions {
  readonly engine: WorkflowEngine;
  readonly catalog: FlowCatalog;
  readonly clock: Clock;
  /** Where SLA timers wait (read for "warnings fired"). */
  readonly timers: TimerStore;
  /** SLA analytics; without it `GET /v1/reports/sla` answers 503. */
  readonly history?: HistoryQueries;
  /** Whether this plugin serves `GET /v1/reports/sla` (default true); false where reports are another role's (`app/roles.ts`). */
  readonly reports?: boolean;
  /** The people directory: serves `/v1/people`, `/v1/groups`, `/v1/orgs` and SCIM `/scim/v2/*` when given. */
  readonly directory?: Directory;
}

const READ: readonly Role[] = ROLES;
const TAGS = ['workflow'];
const YAML_TYPES = ['text/yaml', 'application/yaml', 'application/x-yaml', 'text/x-yaml'];
const flowParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: flowIdPattern } },
} as const;
const withTenant = { type: 'object', additionalProperties: false, properties: { tenant: tenantQuery } } as const;

const summary = (f: CompiledFlow) => ({
  tenant: f.tenant,
  id: f.id,
  version: f.version,
  name: f.name,
  ...(f.document.description !== undefined && { description: f.document.description }),
});

/**
 * The flow document a publish request carries: YAML text (`text/yaml`), a JSON flow
 * document, or JSON `{source, format?}` wrapping YAML or JSON text.
 */
function documentOf(body: unknown): Record<string, unknown> {
  let doc: unknown = body;
  if (typeof body === 'string') doc = parseFlowSource(body, 'yaml');
  else if (typeof body === 'object' && body !== null && 'source' in body) {
    const { source, format, ...rest } = body as { source: unknown; format?: unknown };
    if (typeof source !== 'string' || source.trim() === '')
      throw workflowError('SLUICE_ERR_VALIDATION', 'body.source must be flow source text (YAML or JSON)', {
        details: { field: 'body.source' },
      });
    if (format !== undefined && format !== 'yaml' && format !== 'json')
      throw workflowError('SLUICE_ERR_VALIDATION', 'body.format must be one of yaml, json', { details: { field: 'body.format' } });
    if (Object.keys(rest).length > 0)
      throw workflowError('SLUICE_ERR_VALIDATION', `body.${Object.keys(rest)[0]} is not allowed next to body.source`, {
        details: { field: `body.${Object.keys(rest)[0]}` },
      });
    doc = parseFlowSource(source, format as FlowFormat | undefined);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw workflowError('SLUICE_ERR_FLOW_INVALID', 'a flow definition must be an object (mapping) at the top level');
  return doc as Record<string, unknown>;
}

/**
 * The workflow API as one fastify plugin: flows (publish, list, versions), tickets
 * (create, read, list, act, migrate, SLA status), todos and the SLA breach report. Every
 * route states its access (roles) and JSON schemas; errors are thrown as workflow errors
 * (`code`, `status`, `retriable`) for the app's error handler. Tenant keys see only their
 * tenant (another tenant answers 404); platform keys name the tenant (`?tenant=`).
 *
 * Publishing takes a flow as YAML (`Content-Type: text/yaml`), as a JSON document, or as
 * JSON `{"source": "<yaml or json text>", "format"?: "yaml"|"json"}`.
 *
 * @example await app.register(workflowRoutes, workflow.routes);
 */
export async function workflowRoutes(app: FastifyInstance, opts: WorkflowRoutesOptions): Promise<void> {
  // YAML by its own media types only: plain text is refused (415) rather than guessed at.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post<{ Body: unknown; Querystring: { tenant?: string } }>(
    '/v1/flows',
    {
      config: { access: { roles: ['admin'], action: 'publish flows' } },
      schema: {
        tags: TAGS,
        summary: 'Publish a flow version (validated; running tickets stay on their version)',
        description:
          'Body: YAML (`text/yaml`), a JSON flow document, or JSON `{source, format?}` carrying YAML/JSON text. A document without `tenant` belongs to the key’s tenant.',
        querystring: withTenant,
        body: {
          content: {
            'application/json': { schema: { type: 'object', description: 'A flow document, or {source, format?}.' } },
            ...Object.fromEntries(YAML_TYPES.map((t) => [t, { schema: { type: 'string', minLength: 1 } }])),
          },
        },
        response: {
          201: {
            type: 'object',
            additionalProperties: true,
            properties: { tenant: { type: 'string' }, id: { type: 'string' }, version: { type: 'integer' }, name: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const doc = documentOf(req.body);
      const named = typeof doc.tenant === 'string' ? doc.tenant : undefined;
      if (req.query.tenant !== undefined && named !== undefined && named !== req.query.tenant) {
        throw workflowError('SLUICE_ERR_VALIDATION', `body.tenant ("${named}") and querystring.tenant disagree`, {
          details: { field: 'body.tenant' },
        });
      }
      const tenant = tenantOf(
        req.principal,
        req.query.tenant ?? named,
        req.query.tenant === undefined ? 'body.tenant' : 'querystring.tenant',
      );
      const flow = await opts.catalog.deploy({ ...doc, tenant }, { tenant });
      return reply.code(201).send(summary(flow));
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/flows',
    {
      config: { access: { roles: READ, action: 'read flows' } },
      schema: { tags: TAGS, summary: 'The tenant’s flows at their latest version', querystring: withTenant, response: errorResponses },
    },
    async (req) => ({
      flows: (await opts.catalog.latestAll(tenantOf(req.principal, req.query.tenant))).map((f) => ({
        ...summary(f),
        latestVersion: f.version,
      })),
    }),
  );

  app.get<{ Params: { id: string }; Querystring: { tenant?: string } }>(
    '/v1/flows/:id',
    {
      config: { access: { roles: READ, action: 'read flows' } },
      schema: {
        tags: TAGS,
        summary: 'A flow: its versions and the latest definition',
        params: flowParams,
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => {
      const tenant = tenantOf(req.principal, req.query.tenant);
      const flow = await opts.catalog.get(tenant, req.params.id);
      return {
        ...summary(flow),
        latestVersion: flow.version,
        versions: await opts.catalog.repo.versions(tenant, flow.id),
        document: flow.document,
      };
    },
  );

  app.get<{ Params: { id: string; version: number }; Querystring: { tenant?: string } }>(
    '/v1/flows/:id/versions/:version',
    {
      config: { access: { roles: READ, action: 'read flows' } },
      schema: {
        tags: TAGS,
        summary: 'One version of a flow, as deployed',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'version'],
          properties: { id: flowParams.properties.id, version: { type: 'integer', minimum: 1 } },
        },
        querystring: withTenant,
        response: errorResponses,
      },
    },
    async (req) => {
      const flow = await opts.catalog.get(tenantOf(req.principal, req.query.tenant), req.params.id, req.params.version);
      return { ...summary(flow), document: flow.document };
    },
  );

  await ticketRoutes(app, { engine: opts.engine, timers: opts.timers, clock: opts.clock });
  if (opts.directory) {
    await directoryRoutes(app, { directory: opts.directory });
    await app.register(scimRoutes, { directory: opts.directory });
  }
  await studioRoutes(app, { ...opts, documentOf });
  if (opts.reports !== false) await slaReportRoutes(app, { history: opts.history });
}
