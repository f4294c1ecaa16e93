import type { FastifyInstance } from 'fastify';
import type { RealtimeReader } from '../realtime/merge.js';
import type { Clock } from '../../adapters/clock.js';
import { ROLES, scopeTenant, tenantSchema as tenant } from '../../core/access.js';

const skillGroup = { type: 'string', minLength: 1, maxLength: 128 } as const;

/** Real-time figures (memory, or the view merged over workers). The minute reports (ClickHouse) are in `reports.ts`. */
export async function realtimeRoutes(app: FastifyInstance, opts: { realtime: RealtimeReader; clock: Clock }): Promise<void> {
  app.get<{ Querystring: { tenant?: string; skillGroup?: string } }>(
    '/v1/realtime/skillgroups',
    {
      config: { access: { roles: ROLES, action: 'read real-time figures' } },
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { tenant, skillGroup } } },
    },
    async (req) => {
      const t = scopeTenant(req.principal, req.query.tenant);
      const now = opts.clock.now();
      return { asOf: now, skillGroups: opts.realtime.skillGroups(now, t, req.query.skillGroup) };
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/realtime/agents',
    {
      config: { access: { roles: ROLES, action: 'read real-time figures' } },
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { tenant } } },
    },
    async (req) => ({ asOf: opts.clock.now(), agents: opts.realtime.agents(scopeTenant(req.principal, req.query.tenant)) }),
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/v1/realtime/extensions',
    {
      config: { access: { roles: ROLES, action: 'read real-time figures' } },
      schema: { querystring: { type: 'object', additionalProperties: false, properties: { tenant } } },
    },
    async (req) => ({ asOf: opts.clock.now(), extensions: opts.realtime.extensions(scopeTenant(req.principal, req.query.tenant)) }),
  );
}
