import { base64url, decodeProtectedHeader } from 'jose';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { systemClock, type Clock } from '../../adapters/clock.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { eventually } from '../../core/testing/eventually.js';
import { freePort } from '../../services/ports.js';
import { startOidcProvider, type OidcProviderFixture } from '../support/oidc.js';
import { spawnSluice } from '../support/process.js';

/**
 * Issue 17, identity: people sign in at a real OpenID provider (oidc-provider, code flow with PKCE
 * over HTTP) and call Sluice — the composition root, on its embedded defaults — with the access
 * token it issued. The token acts as its person in the workflow (history in ClickHouse names them),
 * separation of duties holds across two tokens and a personal key, every kind of bad token is refused
 * with its reason, a key rotation is picked up, and a provider that is down costs bearer requests a
 * retriable 503 while API keys keep working. Then `sluice start` (the workflow role, Redis) is started
 * against a provider that is not there at all.
 */

const run = randomUUID().slice(0, 8);
const TENANT = 'acme';
const KEYS = {
  router: `idn-router-${run}-key`,
  admin: `idn-admin-${run}-key0`,
  platform: `idn-platform-${run}-key`,
  sue: `idn-sue-own-${run}-key`,
};
const supervisor = (name: string) => ({
  preferred_username: name,
  tenant: TENANT,
  roles: ['agent'],
  groups: ['billing-supervisors', 'billing-agents'],
});
const ACCOUNTS = {
  sue: supervisor('sue'),
  sam: supervisor('sam'),
  tia: supervisor('tia'),
  eve: { preferred_username: 'eve', tenant: 'initech', roles: ['agent'], groups: [] },
  bob: { preferred_username: 'bob', tenant: TENANT, roles: ['cleaner'], groups: [] },
};

let idp: OidcProviderFixture;
let sluice: Sluice;
/** Sluice's clock runs `offset` ms ahead of the wall clock (expiry is checked on Sluice's clock). */
let offset = 0;
const clock: Clock = { now: () => Date.now() + offset, setTimeout: systemClock.setTimeout, clearTimeout: systemClock.clearTimeout };

beforeAll(async () => {
  idp = await startOidcProvider({
    accounts: ACCOUNTS,
    otherResources: ['urn:other:api'],
    machineClaims: { tenant: TENANT, roles: ['agent'] },
  });
  const config = loadConfig({
    ...idp.sluiceEnv(),
    // A rotation is picked up on the first token of the new key (no cooldown: the test does not wait 30 s).
    SLUICE_OIDC_JWKS_COOLDOWN_MS: '0',
    SLUICE_TENANTS: TENANT,
    SLUICE_API_KEYS: [
      `${KEYS.router}:${TENANT}:router`,
      `${KEYS.admin}:${TENANT}:admin`,
      `${KEYS.platform}:*:viewer`,
      `${KEYS.sue}:${TENANT}:agent:sue:billing-supervisors+billing-agents`,
    ].join(','),
    CHDB_PATH: ':memory:',
    CLICKHOUSE_DATABASE: `identity_${run.replaceAll('-', '')}`,
    PORT: '0',
    LOG_LEVEL: 'warn',
  });
  sluice = await startSluice(config, { clock, logger: pino({ level: 'warn' }), httpLogger: false });
});

afterAll(async () => {
  await sluice?.close();
  await idp?.close();
});

async function send(
  credential: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: the tests read fields of whatever JSON body came back
): Promise<{ status: number; headers: Headers; data: any }> {
  const res = await fetch(`${sluice.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${credential}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, data: text ? JSON.parse(text) : {} };
}

const approve = (credential: string, id: string) => send(credential, 'POST', `/v1/tickets/${id}/actions`, { type: 'approve' });

describe('people signed in through a real OpenID provider', () => {
  it('a token from the code flow with PKCE acts as its person: GET /v1/me, and the stream takes it in ?key=', async () => {
    const token = await idp.signIn('sue');
    const me = await send(token, 'GET', '/v1/me');
    expect(me.status).toBe(200);
    expect(me.data).toMatchObject({
      tenant: TENANT,
      role: 'agent',
      user: 'sue',
      groups: ['billing-supervisors', 'billing-agents'],
      label: 'oidc:sue',
      method: 'token',
      actor: 'user:sue',
      token: { provider: 'oidc', issuer: idp.issuer, subject: 'sue' },
    });
    const ws = new WebSocket(`${sluice.url.replace('http', 'ws')}/v1/stream?key=${token}`);
    try {
      const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.once('message', (m) => resolve(JSON.parse(String(m)) as Record<string, unknown>));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
        ws.once('error', reject);
      });
      expect(hello).toMatchObject({ type: 'hello', tenant: TENANT });
    } finally {
      ws.close();
    }
  });

  it('fee reduction: one person cannot approve two levels through two tokens or a token and a key; ClickHouse history names each approver', async () => {
    const opened = await send(KEYS.router, 'POST', '/v1/tickets', {
      intent: 'fee_reduction',
      callId: `call-${run}`,
      fields: { amount: 40_000 },
    });
    expect(opened.status).toBe(201);
    const id = opened.data.ticket.id as string;
    // The supervisors are flow admins of fee-reduction: each may decide an open todo of any level.
    const sueFirst = await idp.signIn('sue');
    expect((await approve(sueFirst, id)).data.ticket).toMatchObject({ nodeId: 'manager' });
    const sueSecond = await idp.signIn('sue');
    expect(sueSecond).not.toBe(sueFirst);
    for (const credential of [sueSecond, KEYS.sue]) {
      const again = await approve(credential, id);
      expect(again.status).toBe(403);
      expect(again.data.error).toMatchObject({ code: 'SLUICE_ERR_SEPARATION_OF_DUTIES', rule: 'one-level-per-person', decided: 'level1' });
    }
    expect((await approve(await idp.signIn('sam'), id)).data.ticket).toMatchObject({ nodeId: 'head' });
    const closed = await approve(await idp.signIn('tia'), id);
    expect(closed.data.ticket).toMatchObject({ state: 'closed', outcome: 'approved' });
    expect(closed.data.ticket.todos.map((t: { decidedBy: string }) => t.decidedBy)).toEqual(['sue', 'sam', 'tia']);
    expect(
      closed.data.ticket.history.filter((e: { action: string }) => e.action === 'approve').map((e: { actor: string }) => e.actor),
    ).toEqual(['sue', 'sam', 'tia']);
    const ch = sluice.clickhouse;
    const left = async () =>
      (
        await (
          await ch.client.query({
            query: `SELECT node_id AS node, actor FROM ${ch.database}.ticket_events WHERE ticket_id = {id:String} AND event = 'node.left' ORDER BY ts, revision, seq`,
            query_params: { id },
            format: 'JSONEachRow',
          })
        ).json<{ node: string; actor: string }>()
      ).map((r) => `${r.node} ${r.actor}`);
    await eventually(left, (rows) => rows.length === 4, 'the ticket history in ClickHouse', 15_000);
    expect(await left()).toEqual(['start system:ivr', 'level1 sue', 'manager sam', 'head tia']);
  });

  it('refuses expired, wrong-audience, wrong-issuer, tampered, alg-none, unknown-tenant, role-less and person-less tokens, each with its reason', async () => {
    const token = await idp.signIn('sue');
    const [h, body, sig] = token.split('.') as [string, string, string];
    const other = await startOidcProvider({ accounts: ACCOUNTS });
    const strangers = await other.signIn('sue');
    await other.close();
    const cases: [string, string, number, string, string][] = [
      ['wrong audience', await idp.signIn('sue', 'urn:other:api'), 401, 'SLUICE_ERR_TOKEN_INVALID', 'audience'],
      ['wrong issuer', strangers, 401, 'SLUICE_ERR_TOKEN_INVALID', 'issuer'],
      [
        'tampered signature',
        `${h}.${body}.${sig.slice(0, 20)}${sig[20] === 'x' ? 'y' : 'x'}${sig.slice(21)}`,
        401,
        'SLUICE_ERR_TOKEN_INVALID',
        'signature',
      ],
      ['alg none', `${base64url.encode('{"alg":"none","typ":"at+jwt"}')}.${body}.`, 401, 'SLUICE_ERR_TOKEN_INVALID', 'algorithm'],
      ['unknown tenant', await idp.signIn('eve'), 403, 'SLUICE_ERR_TOKEN_TENANT', 'tenant'],
      ['no Sluice role', await idp.signIn('bob'), 403, 'SLUICE_ERR_TOKEN_NO_ROLE', 'role'],
      ['a machine (client credentials): no person', await idp.machineToken(), 401, 'SLUICE_ERR_TOKEN_INVALID', 'claims'],
    ];
    for (const [what, credential, status, code, reason] of cases) {
      const res = await send(credential, 'GET', '/v1/me');
      expect([res.status, res.data.error], what).toEqual([status, expect.objectContaining({ code, reason, retriable: false })]);
    }
    // Expiry is checked on Sluice's clock: five minutes and a tolerance later, the same token is refused.
    expect((await send(token, 'GET', '/v1/me')).status).toBe(200);
    offset = 300_000 + 31_000;
    try {
      const expired = await send(token, 'GET', '/v1/me');
      expect([expired.status, expired.data.error]).toEqual([
        401,
        expect.objectContaining({ code: 'SLUICE_ERR_TOKEN_INVALID', reason: 'expired' }),
      ]);
    } finally {
      offset = 0;
    }
    const metrics = await (await fetch(`${sluice.url}/metrics`, { headers: { authorization: `Bearer ${KEYS.platform}` } })).text();
    for (const reason of ['audience', 'issuer', 'signature', 'algorithm', 'tenant', 'role', 'claims', 'expired'])
      expect(metrics).toMatch(new RegExp(`sluice_auth_requests_total\\{method="token",result="refused",reason="${reason}"\\} [1-9]`));
    expect(metrics).toMatch(/sluice_auth_requests_total\{method="token",result="ok",reason="ok"\} [1-9]/);
  });

  it('picks up a key rotation on the provider; while the provider is down a new key answers 503 and API keys keep working', async () => {
    const before = await idp.signIn('sam');
    expect((await send(before, 'GET', '/v1/me')).status).toBe(200);
    const jwksFetches = idp.requests.get('/jwks') ?? 0;
    const kid = await idp.rotateKeys();
    const rotated = await idp.signIn('sam');
    expect(decodeProtectedHeader(rotated).kid).toBe(kid);
    expect((await send(rotated, 'GET', '/v1/me')).data).toMatchObject({ user: 'sam' });
    expect(idp.requests.get('/jwks')).toBe(jwksFetches + 1);

    // A second rotation Sluice has not seen yet, then the provider goes down.
    await idp.rotateKeys();
    const unseen = await idp.signIn('tia');
    await idp.stop();
    try {
      const down = await send(unseen, 'GET', '/v1/me');
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(down.data.error).toMatchObject({ code: 'SLUICE_ERR_IDENTITY_UNAVAILABLE', reason: 'unavailable', retriable: true });
      // A token of a key Sluice already holds still verifies; API keys are not touched.
      expect((await send(rotated, 'GET', '/v1/me')).status).toBe(200);
      expect((await send(KEYS.sue, 'GET', '/v1/me')).data).toMatchObject({ method: 'key', user: 'sue' });
      expect((await send(KEYS.admin, 'GET', '/v1/tickets')).status).toBe(200);
    } finally {
      await idp.start();
    }
    // Back up: once the retry time has passed, the new key is fetched.
    offset = 5_000;
    try {
      expect((await send(unseen, 'GET', '/v1/me')).data).toMatchObject({ user: 'tia' });
    } finally {
      offset = 0;
    }
  });
});

describe('sluice start (workflow role, Redis) with a provider that is not there', () => {
  it('starts, serves API keys, and answers bearer tokens 503 until the provider can be reached', async () => {
    const port = await freePort();
    const absent = `http://127.0.0.1:${await freePort()}`;
    const proc = spawnSluice(['start', '--port', String(port), '--role', 'workflow'], {
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      CHDB_PATH: ':memory:',
      REDIS_URL: inject('redisUrl'),
      SLUICE_TENANTS: TENANT,
      SLUICE_API_KEYS: `${KEYS.admin}:${TENANT}:admin`,
      SLUICE_OIDC_ISSUER: absent,
      SLUICE_OIDC_AUDIENCE: 'urn:sluice:api',
    });
    const url = `http://127.0.0.1:${port}`;
    try {
      await eventually(
        () =>
          fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${KEYS.admin}` } }).then(
            (r) => r.status,
            () => 0,
          ),
        (s) => s === 200,
        () => `sluice start to answer: ${proc.output()}`,
        90_000,
      );
      // A real token of another issuer is refused as such; a token naming the absent issuer needs its keys: 503.
      const token = await idp.signIn('sue');
      const [, body] = token.split('.') as [string, string];
      const claims = { ...JSON.parse(Buffer.from(body, 'base64url').toString()), iss: absent };
      const forged = `${token.split('.')[0]}.${base64url.encode(JSON.stringify(claims))}.${token.split('.')[2]}`;
      const refused = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect([refused.status, ((await refused.json()) as { error: { reason: string } }).error.reason]).toEqual([401, 'issuer']);
      const unavailable = await fetch(`${url}/v1/tickets`, { headers: { authorization: `Bearer ${forged}` } });
      expect(unavailable.status).toBe(503);
      expect(((await unavailable.json()) as { error: { code: string } }).error.code).toBe('SLUICE_ERR_IDENTITY_UNAVAILABLE');
      expect((await fetch(`${url}/v1/tickets`, { headers: { authorization: `Bearer ${KEYS.admin}` } })).status).toBe(200);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });
});
