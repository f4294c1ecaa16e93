import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ASYMMETRIC_ALGORITHMS } from '../adapters/oidc/types.js';
import { LocalOidcProvider } from '../test/support/local-oidc.js';
import { testServer } from '../test/support/server.js';
import { MemoryHistory } from './history/memory.js';
import { workflowRoutes } from './http/routes.js';
import { recordHistory } from './metrics.js';
import { createHarness, flowSource, type Harness } from './testing/harness.js';

/**
 * Issue 17: people signed in through an OpenID provider act as themselves in the workflow — the actor
 * is the person the token names, with its groups and role — and separation of duties holds for the
 * person, whichever credential (two tokens, a token and a personal key) they use. Tokens are signed by a
 * provider without a network here; test/integration/identity.oidc.test.ts does the same with a real one.
 */

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
const KEY = {
  admin: 'Ka1dminKeyForIdentityTests',
  router: 'Kr2outerKeyForIdentityTests',
  sue: 'Ks3sueOwnKeyForIdentityTests',
};
/** People as the provider knows them: Keycloak-style claims. */
const SUE = { preferred_username: 'sue', tenant: 'default', roles: ['agent'], groups: ['billing-supervisors', 'billing-agents'] };
const MAX = { preferred_username: 'max', tenant: 'default', roles: ['agent'], groups: ['billing-managers'] };
const HAL = { preferred_username: 'hal', tenant: 'default', roles: ['agent'], groups: ['department-heads'] };

let h: Harness;
let idp: LocalOidcProvider;
let app: FastifyInstance;
let history: MemoryHistory;

beforeEach(async () => {
  h = createHarness(T0);
  h.people.add(
    'default',
    { id: 'ann', groups: ['billing-agents'] },
    { id: 'max', groups: ['billing-managers'] },
    { id: 'hal', groups: ['department-heads'] },
  );
  history = new MemoryHistory();
  recordHistory(h.engine, h.service, history);
  idp = await LocalOidcProvider.start('https://login.acme.example/realms/acme', 'sluice-api');
  app = await testServer(
    (a) => a.register(workflowRoutes, { engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history }),
    {
      tenants: [],
      keys: {
        admin: { key: KEY.admin, tenant: 'default', role: 'admin' },
        router: { key: KEY.router, tenant: 'default', role: 'router' },
        // Sue's personal key: the same person as her token.
        sue: { key: KEY.sue, tenant: 'default', role: 'agent', user: 'sue', groups: ['billing-supervisors', 'billing-agents'] },
      },
      tokens: idp.verifier(
        {
          name: 'acme-sso',
          audience: ['sluice-api'],
          algorithms: [...ASYMMETRIC_ALGORITHMS],
          clockToleranceSec: 30,
          tenant: { claim: 'tenant' },
          tenants: ['default'],
          userClaim: 'preferred_username',
          rolesClaim: 'roles',
          roleMap: { agent: 'agent' },
          groupsClaim: 'groups',
        },
        h.clock,
      ),
    },
  );
  const published = await send(KEY.admin, 'POST', '/v1/flows', flowSource('fee-reduction.yaml'), { 'content-type': 'text/yaml' });
  expect(published.status).toBe(201);
});

afterEach(async () => {
  await app.close();
});

async function send(
  credential: string,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: the tests read fields of whatever JSON body came back
): Promise<{ status: number; data: any }> {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${credential}`, ...headers },
    ...(payload !== undefined && { payload: payload as string }),
  });
  return { status: res.statusCode, data: res.body ? JSON.parse(res.body) : {} };
}

const approve = (credential: string, id: string, extra: Record<string, unknown> = {}) =>
  send(credential, 'POST', `/v1/tickets/${id}/actions`, { type: 'approve', ...extra });

/** A fresh access token of the person (its own `jti` and `iat`: another token of the same subject). */
const tokenOf = (claims: Record<string, unknown>) =>
  idp.token(claims, { now: h.clock.now(), subject: `sub-${String(claims.preferred_username)}` });

async function openFee(amount: number): Promise<string> {
  const opened = await send(KEY.router, 'POST', '/v1/tickets', { intent: 'fee_reduction', callId: 'call-1', fields: { amount } });
  expect(opened.status).toBe(201);
  return opened.data.ticket.id as string;
}

describe('a person signed in through OpenID acts as that person', () => {
  it("works the todos assigned to the token's person, with the token's groups; history names the person", async () => {
    const id = await openFee(2_000);
    // The level-1 todo is ann's (the directory's only billing agent); max's token holds billing-managers only.
    expect((await approve(await tokenOf(MAX), id)).status).toBe(404);
    const annToken = await tokenOf({ preferred_username: 'ann', tenant: 'default', roles: ['agent'], groups: ['billing-agents'] });
    expect((await send(annToken, 'GET', '/v1/todos?assignee=ann')).data.items).toEqual([
      expect.objectContaining({ ticketId: id, nodeId: 'level1' }),
    ]);
    const approved = await approve(annToken, id, { comment: 'clean history' });
    expect(approved.status).toBe(200);
    expect(approved.data.ticket.todos[0]).toMatchObject({ nodeId: 'level1', assignee: 'ann', decidedBy: 'ann' });
    expect(approved.data.ticket.comments).toEqual([expect.objectContaining({ author: 'ann', text: 'clean history' })]);
    const done = await approve(await tokenOf(MAX), id);
    expect(done.data.ticket).toMatchObject({ state: 'closed', outcome: 'approved' });
    // The audit history and the analytics rows (ClickHouse's ticket_events in a deployment) say who did what.
    expect(done.data.ticket.history.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`)).toEqual([
      'system:ivr create',
      'system:assignment assign',
      'ann approve',
      'system:assignment assign',
      'max approve',
    ]);
    expect(history.ticketEvents.filter((r) => r.event === 'node.left').map((r) => [r.nodeId, r.actor])).toEqual([
      ['start', 'system:ivr'],
      ['level1', 'ann'],
      ['manager', 'max'],
    ]);
    // Each event is credited to the step that made it: the assignments that followed an approval are the engine's.
    expect(new Set(history.ticketEvents.filter((r) => r.event === 'todo.assigned').map((r) => r.actor))).toEqual(
      new Set(['system:assignment']),
    );
  });

  it('still refuses a body naming an actor, also with a token', async () => {
    const id = await openFee(900);
    const claimed = await approve(await tokenOf(MAX), id, { actor: { id: 'ann', groups: ['billing-agents'] } });
    expect(claimed.status).toBe(400);
    expect(claimed.data.error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'body.actor' });
  });
});

describe('separation of duties from the identity', () => {
  it('the same person cannot approve two levels of one ticket: not with a second token, not with a personal key', async () => {
    const id = await openFee(40_000);
    // Sue (billing-supervisors: a flow admin of fee-reduction) approves level 1 with one token …
    const first = await approve(await tokenOf(SUE), id);
    expect(first.status).toBe(200);
    expect(first.data.ticket.nodeId).toBe('manager');
    // … then tries the manager level with another token of hers, and with her personal API key.
    const secondToken = await tokenOf(SUE);
    const again = await approve(secondToken, id);
    expect(again.status).toBe(403);
    expect(again.data.error).toMatchObject({ code: 'SLUICE_ERR_SEPARATION_OF_DUTIES', rule: 'one-level-per-person', decided: 'level1' });
    expect(again.data.error.message).toContain('"sue" already decided node "level1"');
    const viaKey = await approve(KEY.sue, id);
    expect(viaKey.status).toBe(403);
    expect(viaKey.data.error).toMatchObject({ code: 'SLUICE_ERR_SEPARATION_OF_DUTIES', decided: 'level1' });
    // Other people decide the other levels, each signed in with a token.
    expect((await approve(await tokenOf(MAX), id)).data.ticket.nodeId).toBe('head');
    expect((await approve(secondToken, id)).data.error.code).toBe('SLUICE_ERR_SEPARATION_OF_DUTIES');
    const closed = await approve(await tokenOf(HAL), id);
    expect(closed.data.ticket).toMatchObject({ state: 'closed', outcome: 'approved' });
    expect(closed.data.ticket.todos.map((t: { decidedBy: string }) => t.decidedBy)).toEqual(['sue', 'max', 'hal']);
  });

  it('a key approval counts against a later token of the same person', async () => {
    const id = await openFee(40_000);
    expect((await approve(KEY.sue, id)).status).toBe(200);
    const byToken = await approve(await tokenOf(SUE), id);
    expect(byToken.data.error).toMatchObject({ code: 'SLUICE_ERR_SEPARATION_OF_DUTIES', decided: 'level1' });
  });
});
