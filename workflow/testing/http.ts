import type { FastifyInstance } from 'fastify';
import { testServer, type TestKey } from '../../test/support/server.js';
import { workflowRoutes, type WorkflowRoutesOptions } from '../http/routes.js';

/**
 * The workflow routes on the test server (`test/support/server.ts`): the app's real errors and auth
 * plugins, one key per `tenant:role` for tenants `default`, `globex` and `*`, and the keys given in
 * `keys` under their labels; sign in by label with `call` from the test server.
 *
 * @example const app = await workflowTestApp(routes, { ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] } });
 */
export function workflowTestApp(routes: WorkflowRoutesOptions, keys: Readonly<Record<string, TestKey>> = {}): Promise<FastifyInstance> {
  return testServer((app) => app.register(workflowRoutes, routes), { tenants: ['default', 'globex', '*'], keys });
}
