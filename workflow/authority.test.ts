import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testServer, type TestKey } from '../test/support/server.js';
import { MemoryHistory } from './history/memory.js';
import { workflowRoutes } from './http/routes.js';
import { createHarness, flowSource, type Harness } from './testing/harness.js';

/**
 * Issue 14, point 5 and the key leak of point 9, through the real auth and errors plugins: who acts
 * comes from the API key, never from the body, and no key characters come back or reach the log.
 */

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
/** Keys with distinctive first characters, so a leak of any prefix is found. */
const KEY = {
  admin: 'Qa1dminKeyForAuthorityTests',
  router: 'Wr2outerKeyForAuthorityTests',
  agent: 'Ea3gentKeyForAuthorityTests',
  ann: 'Rn4annKeyForAuthorityTests',
  max: 'Tm5maxKeyForAuthorityTests',
  hal: 'Yh6halKeyForAuthorityTests',
  sue: 'Us7sueKeyForAuthorityTests',
  eve: 'Ie8eveKeyForAuthorityTests',
};
const PLAIN: Record<string, TestKey> = {
  admin: { key: KEY.admin, tenant: 'default', role: 'admin' },
  router: { key: KEY.router, tenant: 'default', role: 'router' },
  agent: { key: KEY.agent, tenant: 'default', role: 'agent' },
};
const PEOPLE: Record<string, TestKey> = {
  ann: { key: KEY.ann, tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] },
  max: { key: KEY.max, tenant: 'default', role: 'agent', user: 'max', groups: ['billing-managers'] },
  hal: { key: KEY.hal, tenant: 'default', role: 'agent', user: 'hal', groups: ['department-heads'] },
  sue: { key: KEY.sue, tenant: 'default', role: 'agent', user: 'sue', groups: ['billing-supervisors', 'billing-agents'] },
  eve: { key: KEY.eve, tenant: 'default', role: 'agent', user: 'eve' },
};

let h: Harness;
let app: FastifyInstance | undefined;
let logLines: string[];
let bodies: string[];

beforeEach(() => {
  h = createHarness(T0);
  h.people.add(
    'default',
    { id: 'ann', groups: ['billing-agents'] },
    { id: 'max', groups: ['billing-managers'] },
    { id: 'hal', groups: ['department-heads'] },
  );
  logLines = [];
  bodies = [];
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The workflow routes on the test server (the app's auth and errors plugins), with only `keys`, logging into `logLines`. */
async function serve(keys: Record<string, TestKey>): Promise<FastifyInstance> {
  app = await testServer(
    (a) =>
      a.register(workflowRoutes, { engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history: new MemoryHistory() }),
    {
      // Only these keys, so each is named by its position among them (`key#1` is the admin's).
      tenants: [],
      keys,
      logger: { level: 'debug', stream: { write: (line: string) => void logLines.push(line) } },
    },
  );
  const published = await send(KEY.admin, 'POST', '/v1/flows', flowSource('fee-reduction.yaml'), { 'content-type': 'text/yaml' });
  expect(published.status).toBe(201);
  return app;
}

/** A request with `key`; every answer's body is kept for the leak check. */
async function send(
  key: string,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: the tests read fields of whatever JSON body came back
): Promise<{ status: number; data: any }> {
  const res = await (app as FastifyInstance).inject({
    method,
    url,
    headers: { authorization: `Bearer ${key}`, ...headers },
    ...(payload !== undefined && { payload: payload as string }),
  });
  bodies.push(res.body);
  return { status: res.statusCode, data: res.body ? JSON.parse(res.body) : {} };
}

const approve = (key: string, id: string, extra: Record<string, unknown> = {}) =>
  send(key, 'POST', `/v1/tickets/${id}/actions`, { type: 'approve', ...extra });

async function openFee(amount: number): Promise<string> {
  const opened = await send(KEY.router, 'POST', '/v1/tickets', { intent: 'fee_reduction', callId: 'call-1', fields: { amount } });
  expect(opened.status).toBe(201);
  return opened.data.ticket.id as string;
}

describe('the caller cannot name its own authority', () => {
  it('an agent key cannot approve a 40,000 fee reduction at the three levels by naming a supervisor in the body', async () => {
    await serve(PLAIN);
    const id = await openFee(40_000);
    for (let level = 0; level < 3; level++) {
      const claimed = await approve(KEY.agent, id, { actor: { id: 'mallory', roles: ['supervisor'], groups: ['billing-supervisors'] } });
      expect(claimed.status).toBe(400);
      expect(claimed.data.error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'body.actor' });
      expect(claimed.data.error.message).toMatch(/identity comes from the API key/);
    }
    // Without a claim the key acts as itself: it holds no todo and is no flow admin.
    const asItself = await approve(KEY.agent, id);
    expect(asItself.data.error).toMatchObject({
      code: 'SLUICE_ERR_ASSIGNMENT_NOT_FOUND',
      message: expect.stringContaining('no open todo for "key:key#3"'),
    });
    const ticket = (await send(KEY.agent, 'GET', `/v1/tickets/${id}`)).data;
    expect(ticket).toMatchObject({ state: 'active', nodeId: 'level1', revision: 1 });
    expect(ticket.history.map((e: { action: string }) => e.action)).not.toContain('approve');
  });

  it('a router key cannot start a flow by claiming the agent role, on any write route', async () => {
    await serve(PLAIN);
    const claimed = await send(KEY.router, 'POST', '/v1/tickets', {
      flowId: 'fee-reduction',
      fields: { amount: 900 },
      actor: { id: 'r2d2', roles: ['agent'] },
    });
    expect(claimed.status).toBe(400);
    expect(claimed.data.error).toMatchObject({ field: 'body.actor' });
    const asItself = await send(KEY.router, 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 900 } });
    expect(asItself.status).toBe(403);
    expect(asItself.data.error.code).toBe('SLUICE_ERR_FORBIDDEN');
    const id = await openFee(900);
    for (const [url, body] of [
      [`/v1/tickets/${id}/actions`, { type: 'comment', text: 'x', actor: { id: 'ann' } }],
      [`/v1/tickets/${id}/migrate`, { actor: { id: 'ann', roles: ['admin'] } }],
    ] as const) {
      const res = await send(KEY.admin, 'POST', url, body);
      expect(res.status, url).toBe(400);
      expect(res.data.error.field, url).toBe('body.actor');
    }
    expect((await send(KEY.agent, 'GET', '/v1/tickets')).data.items.map((t: { id: string }) => t.id)).toEqual([id]);
  });

  it('writes no key characters into ticket history, error bodies or log lines', async () => {
    await serve(PLAIN);
    const id = await openFee(900);
    expect((await send(KEY.admin, 'POST', `/v1/tickets/${id}/actions`, { type: 'comment', text: 'looked at it' })).status).toBe(200);
    expect((await send(KEY.agent, 'POST', `/v1/tickets/${id}/actions`, { type: 'comment', text: 'me too' })).status).toBe(403);
    expect((await approve(KEY.agent, id)).status).toBe(404);
    expect((await send(KEY.router, 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 1 } })).status).toBe(403);
    const ticket = await send(KEY.agent, 'GET', `/v1/tickets/${id}`);
    const seen = [...bodies, ...logLines].join('\n');
    expect(logLines.some((l) => l.includes('request refused'))).toBe(true);
    for (const key of Object.values(KEY)) expect(seen).not.toContain(key.slice(0, 4));
    // The key is named by its position instead.
    expect(ticket.data.history.map((e: { actor: string }) => e.actor)).toContain('system:key:key#1');
  });
});

describe('a key with a user and groups acts as that person', () => {
  it('acts on the todo assigned to its user, with its groups as flow permissions, and nothing more', async () => {
    await serve({ ...PLAIN, ...PEOPLE });
    const id = await openFee(900);
    expect((await send(KEY.ann, 'GET', '/v1/todos?assignee=ann')).data.items).toEqual([
      expect.objectContaining({ ticketId: id, nodeId: 'level1' }),
    ]);
    // eve is an agent of the tenant without the flow's groups: she may neither view (comment) nor decide.
    expect((await send(KEY.eve, 'POST', `/v1/tickets/${id}/actions`, { type: 'comment', text: 'hi' })).data.error).toMatchObject({
      code: 'SLUICE_ERR_FORBIDDEN',
      message: '"eve" may not comment on ticket "T1"',
    });
    expect((await approve(KEY.eve, id)).status).toBe(404);
    // max (billing-managers) views the ticket, but the level-1 todo is ann's.
    expect((await send(KEY.max, 'POST', `/v1/tickets/${id}/actions`, { type: 'comment', text: 'noted' })).status).toBe(200);
    expect((await approve(KEY.max, id)).status).toBe(404);
    const approved = await approve(KEY.ann, id, { comment: 'clean history' });
    expect(approved.status).toBe(200);
    expect(approved.data.ticket).toMatchObject({
      nodeId: 'manager',
      comments: [expect.objectContaining({ author: 'max' }), expect.objectContaining({ author: 'ann' })],
    });
    expect(approved.data.ticket.todos[0]).toMatchObject({ nodeId: 'level1', assignee: 'ann', decidedBy: 'ann' });
    // sue's group billing-supervisors makes her a flow admin: she may reassign max's todo.
    const todoId = approved.data.ticket.todos.find((t: { nodeId: string }) => t.nodeId === 'manager').id as string;
    expect((await send(KEY.ann, 'POST', `/v1/tickets/${id}/actions`, { type: 'reassign', todoId, to: 'ann' })).status).toBe(403);
    const moved = await send(KEY.sue, 'POST', `/v1/tickets/${id}/actions`, { type: 'reassign', todoId, to: 'hal' });
    expect(moved.status).toBe(200);
    expect(moved.data.ticket.history.at(-1)).toMatchObject({ actor: 'sue', action: 'reassign' });
  });

  it('separation of duties: the same person cannot approve two levels, a different one can', async () => {
    await serve({ ...PLAIN, ...PEOPLE });
    const id = await openFee(40_000);
    expect((await approve(KEY.sue, id)).status).toBe(200);
    const again = await approve(KEY.sue, id);
    expect(again.status).toBe(403);
    expect(again.data.error).toMatchObject({ code: 'SLUICE_ERR_SEPARATION_OF_DUTIES', rule: 'one-level-per-person', decided: 'level1' });
    expect(again.data.error.message).toContain('separation of duties "one-level-per-person": "sue" already decided node "level1"');
    expect((await approve(KEY.max, id)).data.ticket.nodeId).toBe('head');
    expect((await approve(KEY.sue, id)).data.error.code).toBe('SLUICE_ERR_SEPARATION_OF_DUTIES');
    const closed = await approve(KEY.hal, id);
    expect(closed.data.ticket).toMatchObject({ state: 'closed', outcome: 'approved' });
    expect(closed.data.ticket.todos.map((t: { decidedBy: string }) => t.decidedBy)).toEqual(['sue', 'max', 'hal']);
  });
});
