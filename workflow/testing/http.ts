import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';
import { principalsOf, type ApiKeyEntry } from '../../app/config.js';
import { ROLES, type Principal } from '../../core/access.js';
import { authPlugin } from '../../app/plugins/auth.js';
import { errorsPlugin } from '../../app/plugins/errors.js';
import { workflowRoutes, type WorkflowRoutesOptions } from '../routes.js';

/** A key a test signs in with: what it is configured with, minus the key itself. */
export type TestKey = Omit<ApiKeyEntry, 'key'>;

/** Tenants every test app has a key of each role for, labelled `tenant:role` (`*` is the platform). */
const TENANTS = ['default', 'globex', '*'];

const keysOf = new WeakMap<FastifyInstance, ReadonlyMap<string, string>>();
const principalsByApp = new WeakMap<FastifyInstance, ReadonlyMap<string, Principal>>();

/**
 * A fastify app with the workflow routes behind the app's real shared plugins: the errors plugin
 * and the auth plugin with API keys. Every test app has one key per `tenant:role` (tenants
 * `default`, `globex` and `*`) and the keys given in `keys` under their labels, each a fresh random
 * key; {@link call} signs in by label.
 *
 * @example const app = await workflowTestApp(routes, { ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] } });
 */
export async function workflowTestApp(routes: WorkflowRoutesOptions, keys: Readonly<Record<string, TestKey>> = {}): Promise<FastifyInstance> {
  const labels = new Map<string, string>();
  const entries: { entry: ApiKeyEntry; where: string }[] = [];
  const add = (label: string, key: TestKey): void => {
    const secret = randomBytes(18).toString('base64url');
    labels.set(label, secret);
    entries.push({ entry: { ...key, key: secret }, where: `test key ${label}` });
  };
  for (const tenant of TENANTS) for (const role of ROLES) add(`${tenant}:${role}`, { tenant, role });
  for (const [label, key] of Object.entries(keys)) add(label, key);

  const app = Fastify({ logger: false, ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } } });
  await app.register(swagger, { openapi: { info: { title: 'workflow test', version: '1' } } });
  await app.register(errorsPlugin);
  const principals = principalsOf(entries);
  await app.register(authPlugin, { keys: principals, open: false });
  await app.register(workflowRoutes, routes);
  await app.ready();
  keysOf.set(app, labels);
  principalsByApp.set(app, new Map([...labels].map(([label, key]) => [label, principals.get(key) as Principal])));
  return app;
}

/** The secret key a test app holds under `label` (to check it never comes back). */
export function testKey(app: FastifyInstance, label: string): string {
  const key = keysOf.get(app)?.get(label);
  if (key === undefined) throw new Error(`no test key labelled "${label}"`);
  return key;
}

/** The principal the key labelled `label` authenticates as. */
export function testPrincipal(app: FastifyInstance, label: string): Principal {
  const principal = principalsByApp.get(app)?.get(label);
  if (principal === undefined) throw new Error(`no test key labelled "${label}"`);
  return principal;
}

/** Every key of a test app. */
export function testKeys(app: FastifyInstance): string[] {
  return [...(keysOf.get(app)?.values() ?? [])];
}

/**
 * A request signed with the key labelled `label` (`tenant:role` or a label given to
 * {@link workflowTestApp}; undefined: no key), with a JSON body when given.
 */
export async function call(
  app: FastifyInstance,
  label: string | undefined,
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse & { data: Record<string, unknown> }> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(label !== undefined && { authorization: `Bearer ${testKey(app, label)}` }), ...headers },
    ...(body !== undefined && (typeof body === 'string' ? { payload: body } : { payload: body as object })),
  });
  return Object.assign(res, { data: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} });
}
