import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { base64url } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { MAX_TOKEN_GROUPS, MAX_TOKEN_ROLES, PERSON_ID } from '../../adapters/oidc/claims.js';
import { ASYMMETRIC_ALGORITHMS } from '../../adapters/oidc/types.js';
import { LocalOidcProvider } from '../../test/support/local-oidc.js';
import { testServer } from '../../test/support/server.js';
import { meRoutes } from '../routes/me.js';

/**
 * The hostile twin of the bearer-token path: a client sends whatever it likes as a credential —
 * arbitrary text, JWT-shaped garbage with any header and payload, and tokens the provider really
 * signed whose claims are broken one at a time (a person id with spaces or controls, a tenant not
 * served, roles and groups of the wrong shape or far too many). Whatever it sends: never a 5xx,
 * never accepted unless the claims are right, and every refusal is 401/403 with a code and a reason.
 */

const TENANT = 'default';
let idp: LocalOidcProvider;
let app: FastifyInstance;

beforeAll(async () => {
  idp = await LocalOidcProvider.start('https://login.acme.example/realms/acme', 'sluice-api');
  app = await testServer((a) => a.register(meRoutes), {
    tenants: [TENANT],
    tokens: idp.verifier(
      {
        name: 'oidc',
        audience: ['sluice-api'],
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        clockToleranceSec: 30,
        tenant: { claim: 'tenant' },
        tenants: [TENANT],
        userClaim: 'preferred_username',
        rolesClaim: 'roles',
        roleMap: { 'sluice-agent': 'agent', 'sluice-admin': 'admin' },
        groupsClaim: 'groups',
      },
      new ManualClock(Date.now()),
    ),
  });
});

afterAll(async () => {
  await app?.close();
});

const personId = fc.stringMatching(PERSON_ID);
/** Values that are not a person id: any JSON value but a string matching the rule. */
const notPersonId = fc.oneof(
  fc.string().filter((s) => !PERSON_ID.test(s)),
  fc.constantFrom(' ann', 'ann\u0000', 'ann\nadmin', 'a'.repeat(129), '../ann', 'ann smith', '\ud800'),
  fc.jsonValue().filter((v) => typeof v !== 'string'),
);
const okClaims = fc.record({
  preferred_username: personId,
  tenant: fc.constant(TENANT),
  roles: fc
    .tuple(fc.constantFrom('sluice-agent', 'sluice-admin'), fc.array(fc.string({ maxLength: 20 }), { maxLength: 5 }))
    .map(([r, rest]) => [...rest, r]),
  groups: fc.array(personId, { maxLength: 8 }),
});

type Expect = { status: 200 } | { status: 401 | 403; code: string; reason: string };

/** A token the provider signs, with what Sluice must answer. */
const signed: fc.Arbitrary<{ claims: Record<string, unknown>; expect: Expect }> = fc.oneof(
  okClaims.map((claims) => ({ claims, expect: { status: 200 } as Expect })),
  fc.tuple(okClaims, notPersonId).map(([c, user]) => ({
    claims: { ...c, preferred_username: user },
    expect: { status: 401, code: 'SLUICE_ERR_TOKEN_INVALID', reason: 'claims' } as Expect,
  })),
  okClaims.map(({ preferred_username: _, ...c }) => ({
    claims: c,
    expect: { status: 401, code: 'SLUICE_ERR_TOKEN_INVALID', reason: 'claims' } as Expect,
  })),
  fc
    .tuple(
      okClaims,
      fc.jsonValue().filter((v) => v !== TENANT && v !== null),
    )
    .map(([c, tenant]) => ({
      claims: { ...c, tenant },
      expect: { status: 403, code: 'SLUICE_ERR_TOKEN_TENANT', reason: 'tenant' } as Expect,
    })),
  fc
    .tuple(
      okClaims,
      fc.array(
        fc.string().filter((r) => r !== 'sluice-agent' && r !== 'sluice-admin'),
        { maxLength: 6 },
      ),
    )
    .map(([c, roles]) => ({
      claims: { ...c, roles },
      expect: { status: 403, code: 'SLUICE_ERR_TOKEN_NO_ROLE', reason: 'role' } as Expect,
    })),
  fc
    .tuple(
      okClaims,
      fc.oneof(
        fc.constant(Array.from({ length: MAX_TOKEN_ROLES + 1 }, () => 'sluice-agent')),
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.object()), { minLength: 1, maxLength: 4 }).map((a) => ['sluice-agent', ...a]),
      ),
    )
    .map(([c, roles]) => ({
      claims: { ...c, roles },
      expect: { status: 401, code: 'SLUICE_ERR_TOKEN_INVALID', reason: 'claims' } as Expect,
    })),
  fc
    .tuple(
      okClaims,
      fc.oneof(
        fc.constant(Array.from({ length: MAX_TOKEN_GROUPS + 1 }, (_, i) => `g${i}`)),
        fc.tuple(fc.array(personId, { maxLength: 3 }), notPersonId).map(([ok, bad]) => [...ok, bad]),
        fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
        fc.integer(),
      ),
    )
    .map(([c, groups]) => ({
      claims: { ...c, groups },
      expect: { status: 401, code: 'SLUICE_ERR_TOKEN_INVALID', reason: 'claims' } as Expect,
    })),
);

const TOKEN_CODES = ['SLUICE_ERR_TOKEN_INVALID', 'SLUICE_ERR_TOKEN_TENANT', 'SLUICE_ERR_TOKEN_NO_ROLE', 'SLUICE_ERR_UNAUTHENTICATED'];

async function me(credential: string) {
  const res = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${credential}` } });
  return {
    status: res.statusCode,
    body: res.json() as { error?: { code: string; reason?: string; message: string } } & Record<string, unknown>,
  };
}

it('a signed token is accepted exactly when its claims are right, as the person it names; refused with the right code otherwise', async () => {
  await fc.assert(
    fc.asyncProperty(signed, async ({ claims, expect: want }) => {
      const { status, body } = await me(await idp.token(claims));
      expect(status, JSON.stringify(body)).toBe(want.status);
      if (want.status === 200) {
        expect(body).toMatchObject({
          tenant: TENANT,
          user: claims.preferred_username,
          groups: [...new Set(claims.groups as string[])],
          method: 'token',
          role: (claims.roles as string[]).includes('sluice-admin') ? 'admin' : 'agent',
        });
      } else {
        expect(body.error).toMatchObject({ code: want.code, reason: want.reason, retriable: false });
      }
    }),
    { numRuns: 150 },
  );
});

it('arbitrary and JWT-shaped credentials never cause a 5xx nor get in, and each refusal names its code', async () => {
  const segment = fc.oneof(
    fc.jsonValue().map((v) => base64url.encode(JSON.stringify(v) ?? 'null')),
    fc.string({ maxLength: 40 }).map((s) => base64url.encode(s)),
    fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/),
  );
  const header = fc.oneof(
    fc.record({
      alg: fc.oneof(fc.constantFrom('none', 'HS256', 'RS256', 'ES256', 'NONE', ''), fc.jsonValue()),
      kid: fc.option(fc.string()),
    }),
    fc.jsonValue(),
  );
  const jwtShaped = fc
    .tuple(header, segment, segment)
    .map(([h, p, s]) => `${base64url.encode(JSON.stringify(h) ?? 'null')}.${p}.${s}`)
    .filter((t) => t.startsWith('eyJ'));
  const credential = fc.oneof(
    jwtShaped,
    // What an HTTP header can carry: printable ASCII.
    fc
      .string({ minLength: 1, maxLength: 200 })
      .filter((s) => s.trim() !== '' && [...s].every((ch) => (ch.codePointAt(0) ?? 0) >= 0x20 && (ch.codePointAt(0) ?? 0) < 0x7f)),
  );
  await fc.assert(
    fc.asyncProperty(credential, async (c) => {
      const { status, body } = await me(c);
      expect([401, 403], `${c} → ${status} ${JSON.stringify(body)}`).toContain(status);
      expect(TOKEN_CODES).toContain(body.error?.code);
      if (body.error?.code !== 'SLUICE_ERR_UNAUTHENTICATED') expect(typeof body.error?.reason).toBe('string');
    }),
    { numRuns: 300 },
  );
});
