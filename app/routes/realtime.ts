import type { FastifyInstance } from 'fastify';
import type { RealtimeState } from '../../pipelines/realtime/state.js';
import type { TelemetryStore } from '../../pipelines/store/types.js';
import type { Clock } from '../../adapters/clock.js';
import { ROLES } from '../config.js';
import { SluiceError } from '../errors.js';
import { scopeTenant } from '../plugins/auth.js';
import { REPORT_TIME } from './reports.js';

const tenant = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } as const;
const skillGroup = { type: 'string', minLength: 1, maxLength: 128 } as const;

/** Real-time figures (memory) and minute reports (ClickHouse). */
export async function realtimeRoutes(app: FastifyInstance, opts: { realtime: RealtimeState; store: TelemetryStore; clock: Clock }): Promise<void> {
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
      if (to <= from) throw new SluiceError('SLUICE_ERR_VALIDATION', ['querystring.to must be greater than querystring.from'], { field: 'querystring.to' });
      if (to - from > 31 * 24 * 3600 * 1000) throw new SluiceError('SLUICE_ERR_VALIDATION', ['querystring.to may be at most 31 days after querystring.from'], { field: 'querystring.to' });
      const t = scopeTenant(req.principal, req.query.tenant);
      if (t === undefined) throw new SluiceError('SLUICE_ERR_VALIDATION', ['querystring.tenant is required for platform keys'], { field: 'querystring.tenant' });
      return { tenant: t, from, to, rows: await opts.store.minutes({ tenant: t, from, to, skillGroup: req.query.skillGroup }) };
    },
  );
}
