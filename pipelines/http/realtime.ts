import type { FastifyInstance } from 'fastify';
import type { RealtimeReader } from '../realtime/merge.js';
import type { TelemetryQueries } from '../store/types.js';
import type { Clock } from '../../adapters/clock.js';
import { ROLES, scopeTenant, tenantSchema as tenant } from '../../core/access.js';
import { REPORT_TIME, reportScope } from './reports.js';

const skillGroup = { type: 'string', minLength: 1, maxLength: 128 } as const;

/** Real-time figures (memory) and minute reports (ClickHouse). */
export async function realtimeRoutes(
  app: FastifyInstance,
  opts: { realtime: RealtimeReader; store: TelemetryQueries; clock: Clock },
): Promise<void> {
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

  app.get<{ Querystring: { tenant?: string; skillGroup?: string; from: number; to: number } }>(
    '/v1/reports/minutes',
    {
      config: { access: { roles: ['admin', 'viewer', 'agent'], action: 'read reports' } },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['from', 'to'],
          properties: { tenant, skillGroup, from: REPORT_TIME, to: REPORT_TIME },
        },
      },
    },
    async (req) => {
      const { from, to } = req.query;
      const t = reportScope(req.principal, req.query.tenant, from, to);
      return { tenant: t, from, to, rows: await opts.store.minutes({ tenant: t, from, to, skillGroup: req.query.skillGroup }) };
    },
  );
}
