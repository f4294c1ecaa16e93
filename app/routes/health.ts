import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import { ROLES } from '../../core/access.js';
import { appError } from '../errors.js';

/** A named readiness check: true when the dependency is usable. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

/** Liveness, readiness and metrics. */
export async function healthRoutes(
  app: FastifyInstance,
  opts: { metrics: Metrics; checks: Map<string, ReadinessCheck>; state: () => 'starting' | 'running' | 'stopping' },
): Promise<void> {
  const anyRole = { access: { roles: ROLES, action: 'check health' } };
  app.get('/healthz', { config: anyRole }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: anyRole }, async (_req, reply) => {
    const state = opts.state();
    const results: Record<string, boolean> = {};
    for (const [name, check] of opts.checks) {
      try {
        results[name] = await check();
      } catch {
        results[name] = false;
      }
    }
    const failing = Object.entries(results)
      .filter(([, ok]) => !ok)
      .map(([n]) => n);
    if (state !== 'running' || failing.length > 0) {
      const why = state !== 'running' ? state : `${failing.join(', ')} down`;
      const e = appError('SLUICE_ERR_NOT_READY', [why]);
      return reply.status(503).send({ error: { code: e.code, message: e.message, retriable: true }, checks: results });
    }
    return { status: 'ready', checks: results };
  });
  app.get(
    '/metrics',
    { config: { access: { roles: ['admin', 'viewer'], platform: true, action: 'read metrics' } } },
    async (_req, reply) => {
      const body = await opts.metrics.registry.metrics();
      return reply.type(opts.metrics.registry.contentType).send(body);
    },
  );
}
