import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import type { Principal, Role } from '../../app/config.js';
import { workflowRoutes, type WorkflowRoutesOptions } from '../routes.js';

/**
 * A fastify app with the workflow routes and stand-ins for the app's shared plugins: the
 * principal comes from `x-test-key: tenant:role` (no header: 401), route access is checked
 * by role like the app's auth plugin, and errors become `{error: {code, message, retriable, ...}}`
 * with the status from `err.status` or `err.statusCode`, like the app's error handler.
 */
export async function workflowTestApp(routes: WorkflowRoutesOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } } });
  await app.register(swagger, { openapi: { info: { title: 'workflow test', version: '1' } } });
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req, reply) => {
    const key = req.headers['x-test-key'];
    if (typeof key !== 'string') return reply.code(401).send({ error: { code: 'TEST_NO_KEY', message: 'no x-test-key header' } });
    const [tenant, role] = key.split(':') as [string, Role];
    req.principal = { tenant, role, keyId: `${tenant}-${role}` };
    const access = req.routeOptions.config?.access;
    if (access && !access.roles.includes(role)) return reply.code(403).send({ error: { code: 'SLUICE_ERR_FORBIDDEN', message: `role ${role} may not ${access.action}` } });
    return undefined;
  });
  app.setErrorHandler((err: FastifyError & { status?: number; retriable?: boolean; details?: unknown; validationContext?: string }, _req, reply) => {
    const status = err.status ?? err.statusCode ?? 500;
    const v = err.validation?.[0];
    const field = v ? [err.validationContext, ...(v.instancePath ?? '').split('/').filter(Boolean), ...(v.keyword === 'required' ? [String(v.params.missingProperty)] : [])].join('.') : undefined;
    const details = typeof err.details === 'object' && err.details !== null ? err.details : {};
    void reply.code(status).send({ error: { code: err.code ?? 'ERR', message: err.message, retriable: err.retriable ?? false, ...(field !== undefined && { field }), ...details } });
  });
  await app.register(workflowRoutes, routes);
  await app.ready();
  return app;
}

/** A request as a principal `tenant:role`, with a JSON body when given. */
export async function call(
  app: FastifyInstance,
  key: string | undefined,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse & { data: Record<string, unknown> }> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(key !== undefined && { 'x-test-key': key }), ...headers },
    ...(body !== undefined && (typeof body === 'string' ? { payload: body } : { payload: body as object })),
  });
  return Object.assign(res, { data: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} });
}
