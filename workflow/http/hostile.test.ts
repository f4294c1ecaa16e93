import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryHistory } from '../history/memory.js';
import { actorId, type Ticket } from '../engine/ticket.js';
import { createHarness, flowSource, type Harness } from '../testing/harness.js';
import { call, testKey, testKeys, testPrincipal, type TestKey } from '../../test/support/server.js';
import { workflowTestApp } from '../testing/http.js';
import { actorOf } from './access.js';

/**
 * The hostile twin of the ticket and flow write routes: a client of tenant `default` sends whatever
 * it likes (actors and roles in the body, odd ids and types, numbers out of range, other tenants)
 * with any of the tenant's keys. Whatever it sends: never a 5xx; every change to a ticket is made
 * by the key's own principal (or the engine's assignment step) and within the flow's rules; the
 * other tenant's tickets and flows do not change.
 */

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
const PEOPLE: Record<string, TestKey> = {
  ann: { tenant: 'default', role: 'agent', user: 'ann', groups: ['billing-agents'] },
  max: { tenant: 'default', role: 'agent', user: 'max', groups: ['billing-managers'] },
  hal: { tenant: 'default', role: 'agent', user: 'hal', groups: ['department-heads'] },
  sue: { tenant: 'default', role: 'admin', user: 'sue', groups: ['billing-supervisors', 'billing-agents'] },
  eve: { tenant: 'default', role: 'viewer', user: 'eve', groups: ['billing-managers'] },
};
const LABELS = ['default:admin', 'default:router', 'default:agent', 'default:viewer', ...Object.keys(PEOPLE)];
const LEVELS = ['level1', 'manager', 'head'];

let h: Harness;
let app: FastifyInstance;
let globexBefore: readonly Ticket[];

const all = async (tenant: string): Promise<readonly Ticket[]> => (await h.engine.list(tenant, {}, undefined, 500)).items;

beforeAll(async () => {
  h = createHarness(T0);
  for (const tenant of ['default', 'globex']) {
    h.people.add(
      tenant,
      { id: 'ann', groups: ['billing-agents'] },
      { id: 'max', groups: ['billing-managers'] },
      { id: 'hal', groups: ['department-heads'] },
    );
  }
  app = await workflowTestApp(
    { engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history: new MemoryHistory() },
    PEOPLE,
  );
  for (const tenant of ['default', 'globex']) {
    expect(
      (
        await call(
          app,
          `${tenant}:admin`,
          'POST',
          '/v1/flows',
          flowSource('fee-reduction.yaml').replace('tenant: default', `tenant: ${tenant}`),
          { 'content-type': 'text/yaml' },
        )
      ).statusCode,
    ).toBe(201);
    for (const amount of [300, 2_000, 40_000]) {
      expect((await call(app, `${tenant}:router`, 'POST', '/v1/tickets', { intent: 'fee_reduction', fields: { amount } })).statusCode).toBe(
        201,
      );
    }
  }
  globexBefore = await all('globex');
});

afterAll(async () => {
  await app.close();
});

const actor = fc.record(
  {
    id: fc.string(),
    roles: fc.array(fc.constantFrom('admin', 'supervisor', 'agent', 'system', '*')),
    groups: fc.array(fc.constantFrom('billing-supervisors', 'billing-managers', 'department-heads')),
    kind: fc.constantFrom('system', 'user'),
  },
  { requiredKeys: [] },
);
const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(1e300, -1, 2 ** 53, '\u0000', 'sales\u0000', '\ud800'),
);
/** Mostly a value the route takes, sometimes anything at all. */
const sometimes = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: odd, weight: 1 });
/** What a client claiming rights would add to a body, in one request of four. */
const claims = fc.oneof(
  { arbitrary: fc.constant({}), weight: 3 },
  {
    arbitrary: fc.record(
      { actor: fc.oneof(actor, odd), roles: fc.array(fc.string()), groups: fc.array(fc.string()) },
      { requiredKeys: [] },
    ),
    weight: 1,
  },
);
const claiming = <T extends object>(body: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.tuple(body, claims).map(([b, c]) => ({ ...b, ...c }));
/** Tickets T1–T3 are the default tenant's, T4–T6 globex's, later ones opened by the property (the harness numbers them). */
const ticketId = fc.oneof(
  { arbitrary: fc.constantFrom('T1', 'T2', 'T3', ...Array.from({ length: 14 }, (_, i) => `T${i + 7}`)), weight: 6 },
  { arbitrary: fc.constantFrom('T4', 'T5', 'T6', 'nope'), weight: 1 },
  // `.` and `..` are path segments the URL resolves away, not ids: the request would reach another route.
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,140}$/).filter((id) => id !== '.' && id !== '..'), weight: 1 },
);
/** An action a client of the tenant could mean, each with the fields its type needs. */
const plausibleAction = fc
  .record({
    type: fc.constantFrom('approve', 'approve', 'approve', 'reject', 'complete', 'comment', 'reassign', 'pause', 'resume'),
    text: fc.string({ minLength: 1, maxLength: 20 }),
    todoId: fc.constantFrom('v1-1', 'v2-1', 'v3-1'),
    to: fc.constantFrom('ann', 'max', 'hal', 'sue', 'eve'),
  })
  .map(({ type, text, todoId, to }) =>
    type === 'comment'
      ? { type, text }
      : type === 'reassign'
        ? { type, todoId, to }
        : type === 'pause'
          ? { type, status: 'waiting_for_customer' }
          : { type },
  );
const anyAction = fc.record(
  {
    type: sometimes(fc.constantFrom('approve', 'reject', 'complete', 'comment', 'reassign', 'pause', 'resume')),
    todoId: sometimes(fc.constantFrom('v1-1', 'v2-1', 'v3-1')),
    text: sometimes(fc.string({ minLength: 1 })),
    comment: sometimes(fc.string()),
    to: sometimes(fc.constantFrom('ann', 'max', 'hal', 'sue', 'eve')),
    status: sometimes(fc.constant('waiting_for_customer')),
    fields: sometimes(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }))),
    expectedRevision: sometimes(fc.integer({ min: 1, max: 6 })),
  },
  { requiredKeys: ['type'] },
);
const actionBody = claiming(fc.oneof({ arbitrary: plausibleAction, weight: 3 }, { arbitrary: anyAction, weight: 1 }));
const amount = fc.integer({ min: 1, max: 50_000 });
const plausibleCreate = fc.oneof(
  amount.map((a) => ({ flowId: 'fee-reduction', fields: { amount: a } })),
  amount.map((a) => ({ intent: 'fee_reduction', fields: { amount: a } })),
);
const anyCreate = fc.record(
  {
    tenant: sometimes(fc.constantFrom('default', 'globex', '*')),
    flowId: sometimes(fc.constantFrom('fee-reduction', 'callback')),
    intent: sometimes(fc.constantFrom('fee_reduction', 'fee_waiver')),
    fields: sometimes(fc.record({ amount: sometimes(fc.integer({ min: -10, max: 60_000 })) })),
    id: sometimes(ticketId),
  },
  { requiredKeys: [] },
);
const createBody = claiming(fc.oneof({ arbitrary: plausibleCreate, weight: 2 }, { arbitrary: anyCreate, weight: 1 }));
const migrateBody = claiming(
  fc.record(
    { toVersion: sometimes(fc.integer({ min: 0, max: 3 })), nodeMap: sometimes(fc.dictionary(fc.string(), fc.string())) },
    { requiredKeys: [] },
  ),
);
const flowBody = fc
  .record({ tenant: fc.constantFrom('default', 'globex', undefined), version: sometimes(fc.integer({ min: 1, max: 5 })), claims })
  .map(({ tenant, version, claims: c }) => {
    const source = flowSource('fee-reduction.yaml')
      .replace(/^version: 1$/m, `version: ${JSON.stringify(version)}`)
      .replace(/^tenant: default\n/m, tenant === undefined ? '' : `tenant: ${tenant}\n`);
    return { source, ...c };
  });
const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 6 },
  { arbitrary: fc.constantFrom('?tenant=default', '?tenant=globex', '?tenant=Globex!'), weight: 1 },
);
/** Mostly keys that can act (so the rules are tested, not only the role check), sometimes any of the tenant's. */
const label = fc.oneof(
  { arbitrary: fc.constantFrom('ann', 'max', 'hal', 'sue', 'default:admin'), weight: 3 },
  { arbitrary: fc.constantFrom(...LABELS), weight: 1 },
);

type Request = { label: string; url: string; body: unknown };
const onTicket = (what: string) => fc.tuple(ticketId, query).map(([id, q]) => `/v1/tickets/${encodeURIComponent(id)}/${what}${q}`);
const request: fc.Arbitrary<Request> = fc.oneof(
  { arbitrary: fc.record({ label, url: onTicket('actions'), body: sometimes(actionBody) }), weight: 6 },
  { arbitrary: fc.record({ label, url: query.map((q) => `/v1/tickets${q}`), body: sometimes(createBody) }), weight: 2 },
  { arbitrary: fc.record({ label, url: onTicket('migrate'), body: sometimes(migrateBody) }), weight: 1 },
  { arbitrary: fc.record({ label, url: query.map((q) => `/v1/flows${q}`), body: sometimes(flowBody) }), weight: 1 },
);

/** Sends one request and checks the invariants after it; returns the answer's status and error code. */
async function hostile({ label, url, body }: Request, secrets: readonly string[]): Promise<string> {
  const before = new Map((await all('default')).map((t) => [t.id, t.history.length]));
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${testKey(app, label)}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body) ?? 'null',
  });
  expect(res.statusCode, res.body).toBeLessThan(500);
  for (const s of secrets) expect(res.body).not.toContain(s);
  const claimed = typeof body === 'object' && body !== null && 'actor' in body;
  if (claimed && res.statusCode !== 401 && res.statusCode !== 403) expect(res.statusCode, res.body).toBe(400);

  const principal = testPrincipal(app, label);
  const me = actorId(actorOf(principal));
  for (const t of await all('default')) {
    const fresh = t.history.slice(before.get(t.id) ?? 0);
    for (const entry of fresh) expect(['system:assignment', 'system:ivr', me], `${label} ${url}`).toContain(entry.actor);
    if (fresh.some((e) => e.actor === me)) expect(['admin', 'agent']).toContain(principal.role);
    const deciders = t.todos.filter((d) => LEVELS.includes(d.nodeId) && d.decidedBy !== undefined).map((d) => d.decidedBy);
    expect(new Set(deciders).size, `${t.id}: one person decided two levels`).toBe(deciders.length);
  }
  expect(await all('globex')).toEqual(globexBefore);
  expect(await h.flows.repo.versions('globex', 'fee-reduction')).toEqual([1]);
  return res.statusCode < 300 ? String(res.statusCode) : `${res.statusCode} ${(res.json() as { error: { code: string } }).error.code}`;
}

it('hostile writes with any key of a tenant: no 5xx, nothing done but as the key’s principal and by the flow’s rules, the other tenant untouched', async () => {
  const secrets = testKeys(app).map((k) => k.slice(0, 8));
  const seen = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 8 }), async (requests) => {
      for (const r of requests) {
        const outcome = await hostile(r, secrets);
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
      }
    }),
    { numRuns: 120 },
  );
  // The property held over requests that did act, claimed identities and broke the rules, not only over refusals.
  expect(seen.get('200')).toBeGreaterThan(0);
  expect(seen.get('201')).toBeGreaterThan(0);
  expect(seen.get('400 SLUICE_ERR_VALIDATION')).toBeGreaterThan(0);
}, 120_000);
