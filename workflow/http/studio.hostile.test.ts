import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MemoryHistory } from '../history/memory.js';
import { createHarness, flowSource, type Harness } from '../testing/harness.js';
import { call } from '../../test/support/server.js';
import { workflowTestApp } from '../testing/http.js';

/**
 * The hostile twin of the studio's POST routes (validate, evaluate, trigger test, migration preview):
 * whatever a key of tenant `default` sends — a mangled flow document, odd expressions and fields,
 * another tenant's name — the answer is never a 5xx, a refusal names the field, and nothing is stored:
 * the flows of both tenants and every ticket stay as they were.
 */

const T0 = Date.parse('2026-01-06T09:00:00+01:00');
const KEYS = ['default:admin', 'default:viewer', 'default:agent'];
let h: Harness;
let app: FastifyInstance;
let before: string;

const snapshot = async () =>
  JSON.stringify([
    await h.flows.repo.versions('default', 'fee-reduction'),
    await h.flows.repo.versions('globex', 'fee-reduction'),
    (await h.engine.list('default', {}, undefined, 500)).items,
    (await h.engine.list('globex', {}, undefined, 500)).items,
  ]);

beforeAll(async () => {
  h = createHarness(T0);
  app = await workflowTestApp({ engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history: new MemoryHistory() });
  for (const tenant of ['default', 'globex']) {
    const src = flowSource('fee-reduction.yaml').replace('tenant: default', `tenant: ${tenant}`);
    expect((await call(app, `${tenant}:admin`, 'POST', '/v1/flows', src, { 'content-type': 'text/yaml' })).statusCode).toBe(201);
    expect(
      (await call(app, `${tenant}:admin`, 'POST', '/v1/tickets', { flowId: 'fee-reduction', fields: { amount: 900 } })).statusCode,
    ).toBe(201);
  }
  before = await snapshot();
});

afterAll(async () => {
  await app.close();
});

/** A fee-reduction document with one part replaced by anything. */
const mangledDoc = fc
  .tuple(
    fc.constantFrom('version', 'tenant', 'nodes', 'controls', 'triggers', 'calendars', 'id', 'name', 'permissions'),
    fc.oneof(
      fc.jsonValue(),
      fc.string(),
      fc.constant('globex'),
      fc.constant(1),
      fc.array(fc.record({ id: fc.string(), type: fc.string() })),
    ),
  )
  .map(([key, value]) => ({ ...(parse(flowSource('fee-reduction.yaml')) as Record<string, unknown>), [key]: value }));

const request = fc.oneof(
  fc.record({ path: fc.constant('/v1/flows/validate'), body: fc.oneof(mangledDoc, fc.jsonValue(), fc.record({ source: fc.string() })) }),
  fc.record({
    path: fc.constant('/v1/flows/evaluate'),
    body: fc.oneof(
      fc.record({
        expression: fc.oneof(fc.string(), fc.constantFrom('fields.amount < 500', 'fields.x.y.z', '1/0 == 1', 'fields.a.matches("(")')),
      }),
      fc.record({ expression: fc.string(), fields: fc.jsonValue() }),
      fc.jsonValue(),
    ),
  }),
  fc.record({
    path: fc.constant('/v1/flows/trigger-test'),
    body: fc.oneof(
      fc.record(
        { intent: fc.string(), trajectory: fc.array(fc.string()), fields: fc.dictionary(fc.string(), fc.jsonValue()) },
        { requiredKeys: [] },
      ),
      fc.record({ draft: mangledDoc, intent: fc.constant('fee_waiver') }),
      fc.jsonValue(),
    ),
  }),
  fc.record({
    path: fc.constantFrom('/v1/flows/fee-reduction/migration-preview', '/v1/flows/nope/migration-preview'),
    body: fc.oneof(
      fc.record({ toVersion: fc.oneof(fc.integer(), fc.double()), nodeMap: fc.jsonValue() }, { requiredKeys: [] }),
      fc.jsonValue(),
    ),
  }),
);

it('studio requests never answer 5xx, name what is wrong, and store nothing', async () => {
  await fc.assert(
    fc.asyncProperty(request, fc.constantFrom(...KEYS), fc.constantFrom('', '?tenant=globex', '?tenant=default'), async (r, key, query) => {
      const res = await call(app, key, 'POST', `${r.path}${query}`, r.body as Record<string, unknown>);
      expect(res.statusCode, JSON.stringify(res.data)).toBeLessThan(500);
      if (res.statusCode === 400) {
        const err = res.data.error as { code: string; message: string; field?: string; issues?: unknown[] };
        expect(err.message.length).toBeGreaterThan(0);
        if (err.code === 'SLUICE_ERR_VALIDATION') expect(typeof err.field === 'string' || /body|querystring/.test(err.message)).toBe(true);
      }
      // Another tenant is never answered: refused as absent (404), or the body is refused first (400).
      if (query === '?tenant=globex') expect(res.statusCode).toBeGreaterThanOrEqual(400);
    }),
    { numRuns: 300 },
  );
  expect(await snapshot()).toBe(before);
}, 120_000);
