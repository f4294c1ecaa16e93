/**
 * The test server every room's route tests use: a fastify app with the app's real shared plugins
 * (the errors plugin and API-key auth), so a room test sees the same principals, access checks and
 * error bodies as the deployed server, and never re-implements them. Rooms import this only from
 * their tests; room product code never imports `app/` or `test/`.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type LightMyRequestResponse } from 'fastify';
import { randomBytes } from 'node:crypto';
import { principalsOf, type ApiKeyEntry } from '../../app/config.js';
import { authPlugin, type AuthObserver } from '../../app/plugins/auth.js';
import type { TokenVerifier } from '../../adapters/oidc/types.js';
import { errorsPlugin } from '../../app/plugins/errors.js';
import { AJV_OPTIONS } from '../../app/server.js';
import { PLATFORM_TENANT, ROLES, type Principal } from '../../core/access.js';

/** A key a test signs in with, as it is configured; without `key`, a fresh random one. */
export type TestKey = Omit<ApiKeyEntry, 'key'> & { readonly key?: string };

/** What the test server is built with. */
export interface TestServerOptions {
  /** Tenants with one key per role, labelled `tenant:role` (`*`: the platform). Default `default`, `globex`, `*`. */
  readonly tenants?: readonly string[];
  /** More keys, by label: a second key of one tenant and role, a user with groups, a key with fixed text. */
  readonly keys?: Readonly<Record<string, TestKey>>;
  /** Bearer tokens accepted beside the keys (e.g. `LocalOidcProvider.verifier`, or a real provider's). */
  readonly tokens?: TokenVerifier;
  /** Counts authentications (as the server's `sluice_auth_requests_total`). */
  readonly onAuth?: AuthObserver;
  /** fastify's logger option (default off). */
  readonly logger?: FastifyServerOptions['logger'];
}

const keysOf = new WeakMap<FastifyInstance, ReadonlyMap<string, string>>();
const principalsByApp = new WeakMap<FastifyInstance, ReadonlyMap<string, Principal>>();

/**
 * A fastify app with the app's errors plugin, its auth plugin (closed: every request needs a key),
 * the server's ajv options and the OpenAPI plugin, then the routes `register` adds. Every test app
 * has one key per `tenant:role` and the keys given in `options.keys` under their labels; {@link call}
 * and {@link authHeader} sign in by label.
 *
 * @example const app = await testServer((a) => a.register(controlRoutes, { service, clock }), { tenants: ['acme'] });
 */
export async function testServer(register: (app: FastifyInstance) => unknown, options: TestServerOptions = {}): Promise<FastifyInstance> {
  const labels = new Map<string, string>();
  const entries: { entry: ApiKeyEntry; where: string }[] = [];
  const add = (label: string, { key = randomBytes(18).toString('base64url'), ...rest }: TestKey): void => {
    labels.set(label, key);
    entries.push({ entry: { ...rest, key }, where: `test key ${label}` });
  };
  // A key's id in the app is its `name` or its position: `key#1` is the first role key, the given keys come last.
  for (const tenant of options.tenants ?? ['default', 'globex', PLATFORM_TENANT])
    for (const role of ROLES) add(`${tenant}:${role}`, { tenant, role });
  for (const [label, key] of Object.entries(options.keys ?? {})) add(label, key);
  const principals = principalsOf(entries);

  // The server's own validation options (coercion of query arrays; no silent removal of unknown fields).
  const app = Fastify({
    logger: options.logger ?? false,
    ajv: AJV_OPTIONS,
  });
  await app.register(swagger, { openapi: { info: { title: 'Sluice test server', version: '1' } } });
  await app.register(errorsPlugin);
  await app.register(authPlugin, { keys: principals, open: false, tokens: options.tokens, onAuth: options.onAuth });
  await register(app);
  await app.ready();
  keysOf.set(app, labels);
  principalsByApp.set(app, new Map([...labels].map(([label, key]) => [label, principals.get(key) as Principal])));
  return app;
}

/** The secret key a test app holds under `label` (to sign in with, or to check it never comes back). */
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

/** The `Authorization` header of the key labelled `label`, for `app.inject`. */
export function authHeader(app: FastifyInstance, label: string): { authorization: string } {
  return { authorization: `Bearer ${testKey(app, label)}` };
}

/**
 * A request signed with the key labelled `label` (`tenant:role` or a label given to
 * {@link testServer}; undefined: no key), with a JSON body when given (a string is sent as it is).
 */
export async function call(
  app: FastifyInstance,
  label: string | undefined,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse & { data: Record<string, unknown> }> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(label !== undefined && authHeader(app, label)), ...headers },
    ...(body !== undefined && (typeof body === 'string' ? { payload: body } : { payload: body as object })),
  });
  return Object.assign(res, { data: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {} });
}
