import type { FastifyInstance } from 'fastify';
import { base64url, decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { ASYMMETRIC_ALGORITHMS, type IssuerSettings } from '../../adapters/oidc/types.js';
import { LocalOidcProvider } from '../../test/support/local-oidc.js';
import { call, testServer } from '../../test/support/server.js';
import { meRoutes } from '../routes/me.js';
import { IDENTITY_RETRY_AFTER_SEC } from './auth.js';

const SETTINGS: Omit<IssuerSettings, 'issuer'> = {
  name: 'keycloak',
  audience: ['sluice-api'],
  algorithms: [...ASYMMETRIC_ALGORITHMS],
  clockToleranceSec: 30,
  tenant: { claim: 'tenant' },
  tenants: ['default'],
  userClaim: 'preferred_username',
  rolesClaim: 'realm_access.roles',
  roleMap: { 'sluice-admin': 'admin', agent: 'agent' },
  groupsClaim: 'groups',
};
const ANN = {
  preferred_username: 'ann',
  tenant: 'default',
  realm_access: { roles: ['agent', 'offline_access'] },
  groups: ['billing-agents'],
};

let idp: LocalOidcProvider;
let clock: ManualClock;
let app: FastifyInstance;
let auths: string[];

beforeEach(async () => {
  idp = await LocalOidcProvider.start('https://login.acme.example/realms/acme', 'sluice-api');
  clock = new ManualClock(Date.now());
  auths = [];
  app = await testServer(
    async (a) => {
      await a.register(meRoutes);
      a.get('/admin-only', { config: { access: { roles: ['admin'], action: 'administer' } } }, async () => ({ ok: true }));
      a.get(
        '/platform-only',
        { config: { access: { roles: ['admin', 'agent'], platform: true, action: 'see every tenant' } } },
        async () => ({
          ok: true,
        }),
      );
      a.get('/socket-like', { config: { access: { roles: ['agent'], action: 'open a stream', queryKey: true } } }, async (req) => ({
        who: req.principal.keyId,
      }));
    },
    {
      tenants: ['default'],
      keys: { annKey: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'], name: 'ann-desk' } },
      tokens: idp.verifier(SETTINGS, clock),
      onAuth: (method, result, reason) => auths.push(`${method} ${result} ${reason}`),
    },
  );
});

afterEach(async () => {
  await app.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('bearer tokens of an OpenID provider, beside API keys', () => {
  it("authenticates a person's token as that person, as GET /v1/me shows, and keys keep working", async () => {
    const token = await idp.token(ANN, { subject: 'f3a1-uuid' });
    const me = await call(app, undefined, 'GET', '/v1/me', undefined, bearer(token));
    expect(me.statusCode).toBe(200);
    expect(me.data).toEqual({
      tenant: 'default',
      role: 'agent',
      user: 'ann',
      groups: ['billing-agents'],
      label: 'keycloak:ann',
      method: 'token',
      actor: 'user:ann',
      token: { provider: 'keycloak', issuer: idp.issuer, subject: 'f3a1-uuid', expiresAt: decodeJwt(token).exp! * 1000 },
    });
    const key = await call(app, 'annKey', 'GET', '/v1/me');
    expect(key.data).toEqual({
      tenant: 'default',
      role: 'agent',
      user: 'ann',
      groups: ['billing-agents'],
      label: 'ann-desk',
      method: 'key',
      actor: 'user:ann',
    });
    expect((await call(app, 'default:admin', 'GET', '/v1/me')).data).toMatchObject({ method: 'key', actor: 'system:key:key#1' });
    expect(auths).toEqual(['token ok ok', 'key ok ok', 'key ok ok']);
  });

  it('checks the route access of a token principal the same way as a key: role, platform, ?key= where allowed', async () => {
    const agent = await idp.token(ANN);
    const admin = await idp.token({ ...ANN, preferred_username: 'max', realm_access: { roles: ['sluice-admin', 'agent'] } });
    const forbidden = await call(app, undefined, 'GET', '/admin-only', undefined, bearer(agent));
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.data.error).toMatchObject({ code: 'SLUICE_ERR_FORBIDDEN', message: 'role agent may not administer' });
    expect((await call(app, undefined, 'GET', '/admin-only', undefined, bearer(admin))).statusCode).toBe(200);
    expect((await call(app, undefined, 'GET', '/platform-only', undefined, bearer(admin))).statusCode).toBe(403);
    const viaQuery = await app.inject({ method: 'GET', url: `/socket-like?key=${agent}` });
    expect(viaQuery.json()).toEqual({ who: 'keycloak:ann' });
    // Only where the route allows it: elsewhere a token in the query is no credential.
    expect((await app.inject({ method: 'GET', url: `/v1/me?key=${agent}` })).statusCode).toBe(401);
  });

  it('refuses each kind of bad token with its code and reason, and counts it', async () => {
    const good = await idp.token(ANN);
    const [h, body, sig] = good.split('.') as [string, string, string];
    const none = `${base64url.encode('{"alg":"none"}')}.${body}.`;
    const cases: [string, number, string, string][] = [
      [await idp.token(ANN, { audience: 'other-api' }), 401, 'SLUICE_ERR_TOKEN_INVALID', 'audience'],
      [await idp.token(ANN, { now: clock.now() - 3_600_000 }), 401, 'SLUICE_ERR_TOKEN_INVALID', 'expired'],
      [await idp.token(ANN, { notBefore: Math.floor(clock.now() / 1000) + 600 }), 401, 'SLUICE_ERR_TOKEN_INVALID', 'not_yet_valid'],
      [`${h}.${body}.${sig.slice(0, -4)}AAAA`, 401, 'SLUICE_ERR_TOKEN_INVALID', 'signature'],
      [none, 401, 'SLUICE_ERR_TOKEN_INVALID', 'algorithm'],
      [await idp.token({ ...ANN, tenant: 'globex' }), 403, 'SLUICE_ERR_TOKEN_TENANT', 'tenant'],
      [await idp.token({ ...ANN, realm_access: { roles: ['offline_access'] } }), 403, 'SLUICE_ERR_TOKEN_NO_ROLE', 'role'],
      [await idp.token({ ...ANN, preferred_username: 'ann smith' }), 401, 'SLUICE_ERR_TOKEN_INVALID', 'claims'],
      [await idp.token({ ...ANN, groups: ['/billing/agents'] }), 401, 'SLUICE_ERR_TOKEN_INVALID', 'claims'],
    ];
    for (const [token, status, code, reason] of cases) {
      const res = await call(app, undefined, 'GET', '/v1/me', undefined, bearer(token));
      expect([res.statusCode, res.data.error], reason).toEqual([status, expect.objectContaining({ code, reason, retriable: false })]);
    }
    const stranger = await (await LocalOidcProvider.start('https://evil.example', 'sluice-api')).token(ANN);
    const res = await call(app, undefined, 'GET', '/v1/me', undefined, bearer(stranger));
    expect(res.data.error).toMatchObject({ code: 'SLUICE_ERR_TOKEN_INVALID', reason: 'issuer' });
    expect(String((res.data.error as { message: string }).message)).toContain('"https://evil.example"');
    expect(auths).toEqual([...cases.map(([, , , reason]) => `token refused ${reason}`), 'token refused issuer']);
    // Not a key, not a JWT: an unknown key, as before.
    const junk = await call(app, undefined, 'GET', '/v1/me', undefined, bearer('not-a-key-not-a-token'));
    expect(junk.data.error).toMatchObject({
      code: 'SLUICE_ERR_UNAUTHENTICATED',
      message: 'unknown API key (and not an OpenID access token)',
    });
  });

  it('answers 503 with Retry-After while the provider cannot be reached, and API keys keep working', async () => {
    idp.down(true);
    const res = await call(app, undefined, 'GET', '/v1/me', undefined, bearer(await idp.token(ANN)));
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe(String(IDENTITY_RETRY_AFTER_SEC));
    expect(res.data.error).toMatchObject({ code: 'SLUICE_ERR_IDENTITY_UNAVAILABLE', reason: 'unavailable', retriable: true });
    expect((await call(app, 'annKey', 'GET', '/v1/me')).statusCode).toBe(200);
    idp.down(false);
    expect((await call(app, undefined, 'GET', '/v1/me', undefined, bearer(await idp.token(ANN)))).statusCode).toBe(200);
    expect(auths).toEqual(['token unavailable unavailable', 'key ok ok', 'token ok ok']);
  });

  it('takes a token expired within the clock tolerance, and refuses it past', async () => {
    const token = await idp.token(ANN, { expiresInSec: 60 });
    clock.advance(60_000 + 29_000);
    expect((await call(app, undefined, 'GET', '/v1/me', undefined, bearer(token))).statusCode).toBe(200);
    clock.advance(2_000);
    expect((await call(app, undefined, 'GET', '/v1/me', undefined, bearer(token))).data.error).toMatchObject({ reason: 'expired' });
  });
});
