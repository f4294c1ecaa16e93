/**
 * The control API as one fastify plugin: routing (`/v1/route`), its outcomes,
 * the state view, the policy table, trunk utilisation reports, level pins and
 * forced breakers. Every
 * route has a JSON schema and an access rule (`config.access`, enforced by the
 * app's auth plugin). Tenant isolation: a tenant key acts on its own tenant
 * only — naming another answers 404 so existence does not leak; platform keys
 * (tenant `*`) act on any tenant. Breakers guard targets every tenant shares,
 * so forcing one needs a platform admin key. Every route is rate-limited per
 * API key (see `http/rate-limit.ts`).
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../../adapters/clock.js';
import { PLATFORM_TENANT, requireTenant, ROLES, scopeTenant, type Role } from '../../core/access.js';
import type {} from '../../core/http.js';
import { controlError } from '../errors.js';
import { DEFAULT_RATE_LIMITS, registerRateLimits, routeLimit } from './rate-limit.js';
import type { ControlRateLimits } from './rate-limit.js';
import * as S from './schemas.js';
import type { ControlService, RouteInput } from '../service.js';
import { outcomeProblem } from '../outcome.js';
import type { OutcomeReport } from '../outcome.js';
import type { Level } from '../types.js';

/** Options of {@link controlRoutes}. */
export interface ControlRoutesOptions {
  readonly service: ControlService;
  readonly clock: Clock;
  /** Per-key rate limits (default {@link DEFAULT_RATE_LIMITS}, in memory); false turns them off. */
  readonly rateLimit?: Omit<ControlRateLimits, 'onLimited'> | false;
}

const ALL: readonly Role[] = ROLES;
const ROUTERS: readonly Role[] = ['router', 'admin'];
const ADMIN: readonly Role[] = ['admin'];

/** How control words a request that names no tenant where one is needed. */
const invalidRequest = (_field: string, rule: string) => controlError('SLUICE_ERR_CONTROL_REQUEST_INVALID', rule);

/** The one tenant an operation acts on (`core/access.ts`): platform keys must name it in `<where>.tenant`. */
function oneTenant(req: FastifyRequest, asked: string | undefined, where: string): string {
  return requireTenant(req.principal, asked, `${where}.tenant`, invalidRequest);
}

/**
 * Who a policy change is recorded as: the key's user, or the key itself (`key:<label>`), as the
 * workflow records its actors. Authority comes from the credential, never from the body.
 */
function authorOf(req: FastifyRequest): string {
  return req.principal.user ?? `key:${req.principal.keyId}`;
}

/** Runs before schema validation, so a body naming its author is answered with `body.author`. */
async function refuseBodyAuthor(req: FastifyRequest): Promise<void> {
  const body = req.body;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.hasOwn(body, 'author')) {
    throw controlError(
      'SLUICE_ERR_CONTROL_REQUEST_INVALID',
      "body.author is not accepted: a policy change is recorded as the API key's user (or the key), never as a name in the request body",
    );
  }
}

/** Registers the control routes. */
export async function controlRoutes(app: FastifyInstance, opts: ControlRoutesOptions): Promise<void> {
  const { service } = opts;
  const limits =
    opts.rateLimit === false
      ? false
      : {
          ...DEFAULT_RATE_LIMITS,
          ...opts.rateLimit,
          onLimited: (l: 'route' | 'outcome' | 'api', tenant: string) => service.countRateLimited(l, tenant),
        };
  if (limits !== false) await registerRateLimits(app, limits, opts.clock);

  // The calls a proxy makes take form-encoded bodies too (the default of PBX HTTP functions: Asterisk's CURL(),
  // FreeSWITCH's curl): in a context of their own, so no other control route does.
  await app.register(async (edge) => {
    await edge.register(formbody, { bodyLimit: 16_384 });

    edge.post<{ Body: RouteInput }>(
      '/v1/route',
      {
        config: { access: { roles: ROUTERS, action: 'route calls' }, ...routeLimit(limits) },
        schema: {
          summary: 'Where does this call go?',
          description:
            'Asked by a SIP proxy, PBX or CTI for each call; answered from memory, without waiting on any store. JSON or application/x-www-form-urlencoded. See docs/integration/control-api.md.',
          tags: ['control'],
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          body: S.routeBody,
          response: S.routeReply,
        },
      },
      async (req) => {
        scopeTenant(req.principal, req.body.tenant);
        return service.route(req.body);
      },
    );

    edge.post<{ Params: { decisionId: string }; Body: OutcomeReport }>(
      '/v1/route/:decisionId/outcome',
      {
        config: { access: { roles: ROUTERS, action: 'report call outcomes' }, ...routeLimit(limits) },
        schema: {
          summary: 'What became of a routed call',
          description:
            'connected, failed, timeout, abandoned or not-attempted, with latencyMs for connected and failed (or the legacy success + latencyMs). Idempotent: a repeat answers 204. Any control instance takes it. JSON or application/x-www-form-urlencoded.',
          tags: ['control'],
          consumes: ['application/json', 'application/x-www-form-urlencoded'],
          params: S.decisionParams,
          body: S.outcomeBody,
          response: S.outcomeReply,
        },
      },
      async (req, reply) => {
        const problem = outcomeProblem(req.body as { outcome?: unknown; success?: unknown; latencyMs?: unknown });
        if (problem !== null) throw controlError('SLUICE_ERR_VALIDATION', problem.message, { details: { field: problem.field } });
        const id = req.params.decisionId;
        const own = req.principal.tenant;
        // Any control instance takes it (the id is signed; see control/README.md, "Outcomes").
        if ((await service.report(id, req.body, own === PLATFORM_TENANT ? null : own)) === 'unknown') {
          throw controlError('SLUICE_ERR_NOT_FOUND', `decision ${id} (unknown, expired or another tenant's) not found`);
        }
        return reply.status(204).send();
      },
    );
  });

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/control/state',
    { config: { access: { roles: ALL, action: 'read the control state' } }, schema: { querystring: S.tenantQuery } },
    async (req) => service.state(scopeTenant(req.principal, req.query.tenant)),
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/control/policy',
    { config: { access: { roles: ALL, action: 'read the control policy' } }, schema: { querystring: S.tenantQuery } },
    async (req) => service.policy(oneTenant(req, req.query.tenant, 'querystring')),
  );

  app.put<{ Body: { tenant?: string; policy: unknown; expectedVersion?: number } }>(
    '/v1/control/policy',
    {
      config: { access: { roles: ADMIN, action: 'change the control policy' } },
      schema: { body: S.policyBody },
      preValidation: refuseBodyAuthor,
    },
    async (req) => {
      const t = oneTenant(req, req.body.tenant, 'body');
      const { expectedVersion } = req.body;
      return service.putPolicy(t, req.body.policy, {
        author: authorOf(req),
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      });
    },
  );

  app.post<{ Body: { tenant?: string; expectedVersion?: number } }>(
    '/v1/control/policy/rollback',
    {
      config: { access: { roles: ADMIN, action: 'roll the control policy back' } },
      schema: { body: S.rollbackBody },
      preValidation: refuseBodyAuthor,
    },
    async (req) => {
      const t = oneTenant(req, req.body.tenant, 'body');
      const { expectedVersion } = req.body;
      return service.rollbackPolicy(t, { author: authorOf(req), ...(expectedVersion === undefined ? {} : { expectedVersion }) });
    },
  );

  app.put<{ Body: { tenant?: string; trunk: string; utilisation: number; ts?: number } }>(
    '/v1/control/trunks',
    {
      config: { access: { roles: ROUTERS, action: 'report trunk utilisation' } },
      schema: { body: S.trunkBody, response: S.trunkReply },
    },
    async (req) => {
      const t = oneTenant(req, req.body.tenant, 'body');
      const { trunk, utilisation, ts } = req.body;
      return service.reportTrunk(t, trunk, utilisation, ts);
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/control/trunks',
    {
      config: { access: { roles: ALL, action: 'read trunk utilisation' } },
      schema: { querystring: S.tenantQuery, response: S.trunksReply },
    },
    async (req) => service.trunkReadings(oneTenant(req, req.query.tenant, 'querystring')),
  );

  app.post<{ Body: { tenant?: string; skillGroup?: string; level: Level; forMs: number; reason: string } }>(
    '/v1/control/overrides',
    { config: { access: { roles: ADMIN, action: 'pin control levels' } }, schema: { body: S.overrideBody } },
    async (req, reply) => {
      const t = oneTenant(req, req.body.tenant, 'body');
      const { skillGroup, level, forMs, reason } = req.body;
      const pinned = service.pin(
        skillGroup === undefined ? { tenant: t } : { tenant: t, skillGroup },
        level,
        forMs,
        `${reason} (by ${req.principal.keyId})`,
      );
      return reply.status(201).send(pinned);
    },
  );

  app.delete<{ Querystring: { tenant?: string; skillGroup?: string; reason?: string } }>(
    '/v1/control/overrides',
    { config: { access: { roles: ADMIN, action: 'clear control level pins' } }, schema: { querystring: S.clearOverrideQuery } },
    async (req) => {
      const t = oneTenant(req, req.query.tenant, 'querystring');
      const { skillGroup } = req.query;
      const cleared = service.unpin(
        skillGroup === undefined ? { tenant: t } : { tenant: t, skillGroup },
        `${req.query.reason ?? 'cleared'} (by ${req.principal.keyId})`,
      );
      return { cleared };
    },
  );

  app.post<{ Params: { key: string }; Body: { mode: 'open' | 'closed' | 'clear'; forMs?: number; reason?: string } }>(
    '/v1/control/breakers/:key/force',
    {
      config: { access: { roles: ADMIN, platform: true, action: 'force circuit breakers' } },
      schema: { params: S.breakerParams, body: S.forceBody },
    },
    async (req) => {
      const { mode, forMs, reason } = req.body;
      return service.force(req.params.key, mode, forMs, `${reason ?? `forced ${mode} by operator`} (by ${req.principal.keyId})`);
    },
  );
}
