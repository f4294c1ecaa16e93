import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHistory } from '../history/memory.js';
import { WORKFLOW_LIMITS as L } from '../limits.js';
import { createHarness, type Harness } from '../testing/harness.js';
import { call } from '../../test/support/server.js';
import { workflowTestApp } from '../testing/http.js';

const ADMIN = 'acme:admin';
const AGENT = 'acme:agent';

let h: Harness;
let app: FastifyInstance;
let version = 1;

/** A small sound flow of tenant acme: start → work (task for ann, SLA on a calendar) → end. */
function baseFlow(): Record<string, unknown> {
  return {
    id: 'hostile',
    version: ++version,
    name: 'Hostile',
    calendars: { office: { workingHours: { mon: ['09:00-17:00'] }, holidays: ['2026-12-25'] } },
    triggers: [{ intent: 'probe', when: 'has(fields.amount) && fields.amount > 1' }],
    nodes: [
      { id: 'start', type: 'start' },
      {
        id: 'work',
        type: 'task',
        assignees: { user: 'ann' },
        sla: { duration: '4h', calendar: 'office', warnings: [{ delay: '1h', channel: 'log' }] },
      },
      { id: 'end', type: 'end' },
    ],
    controls: [
      { from: 'start', to: 'work' },
      { from: 'work', to: 'end', when: 'has(fields.amount) && fields.amount > 1' },
      { from: 'work', to: 'end' },
    ],
  };
}

/** start → n0 → … → end; `type` for the middle nodes. */
function chain(k: number, node: Record<string, unknown>, id = 'chain'): Record<string, unknown> {
  const nodes: Record<string, unknown>[] = [{ id: 'start', type: 'start' }];
  const controls: Record<string, unknown>[] = [];
  for (let i = 0; i < k; i++) {
    nodes.push({ id: `n${i}`, ...node });
    controls.push({ from: i === 0 ? 'start' : `n${i - 1}`, to: `n${i}` });
  }
  nodes.push({ id: 'end', type: 'end' });
  controls.push({ from: `n${k - 1}`, to: 'end' });
  return { id, version: ++version, name: 'Chain', nodes, controls };
}

/** `depth` objects (or arrays) inside each other, written out as JSON text by {@link json} (JSON.stringify would recurse). */
class Nested {
  constructor(
    readonly depth: number,
    readonly array = false,
  ) {}
  [fc.toStringMethod](): string {
    return `nested(${this.depth}${this.array ? ', array' : ''})`;
  }
}
const nested = (depth: number, array = false): Nested => new Nested(depth, array);

/** JSON text of a value that may hold {@link Nested} parts. */
function json(value: unknown): string {
  if (value instanceof Nested)
    return `${(value.array ? '[' : '{"a":').repeat(value.depth)}1${(value.array ? ']' : '}').repeat(value.depth)}`;
  if (Array.isArray(value)) return `[${value.map(json).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${json(v)}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/** POSTs `value` as JSON text. */
function post(key: string, url: string, value: unknown): ReturnType<typeof call> {
  return call(app, key, 'POST', url, json(value), { 'content-type': 'application/json' });
}

/** Another tenant's work goes on: the sentinel ticket of globex is created. */
async function sentinel(): Promise<void> {
  const res = await call(app, 'globex:agent', 'POST', '/v1/tickets', { flowId: 'sentinel', fields: { amount: 1 } });
  expect(res.statusCode, res.body).toBe(201);
}

beforeAll(async () => {
  h = createHarness(Date.parse('2026-01-05T09:00:00Z'));
  app = await workflowTestApp(
    { engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history: new MemoryHistory() },
    { [ADMIN]: { tenant: 'acme', role: 'admin' }, [AGENT]: { tenant: 'acme', role: 'agent' } },
  );
  const sentinelFlow = { ...chain(1, { type: 'task', assignees: { user: 'gus' } }, 'sentinel'), version: 1 };
  expect((await call(app, 'globex:admin', 'POST', '/v1/flows', sentinelFlow)).statusCode).toBe(201);
  expect((await call(app, ADMIN, 'POST', '/v1/flows', { ...baseFlow(), id: 'plain', version: 1 })).statusCode).toBe(201);
});

afterAll(async () => {
  await app.close();
});

describe('workflow limits over HTTP', () => {
  it('refuses a 5000-node flow chain with 400, and runs a ticket down 500 automatic nodes', async () => {
    const long = await call(app, ADMIN, 'POST', '/v1/flows', chain(5000, { type: 'task', assignees: { user: 'ann' } }));
    expect(long.statusCode).toBe(400);
    expect(long.data.error).toMatchObject({
      code: 'SLUICE_ERR_FLOW_INVALID',
      issues: expect.arrayContaining([{ path: 'nodes', message: 'must NOT have more than 1000 items' }]),
    });
    const notify = chain(500, { type: 'notify', channel: 'log', notify: ['user:ann'], message: 'step' }, 'relay');
    expect((await call(app, ADMIN, 'POST', '/v1/flows', notify)).statusCode).toBe(201);
    const ticket = await call(app, AGENT, 'POST', '/v1/tickets', { flowId: 'relay' });
    expect(ticket.statusCode, ticket.body).toBe(201);
    expect(ticket.data.ticket).toMatchObject({ state: 'closed', nodeId: 'end' });
  });

  it('refuses an SLA of 1000w and a version of 1e300 at deploy, naming them', async () => {
    const flow = baseFlow();
    (flow.nodes as Record<string, unknown>[])[1] = {
      id: 'work',
      type: 'task',
      assignees: { user: 'ann' },
      sla: { duration: '1000w', calendar: { workingHours: { sun: ['03:00-04:00'] } } },
    };
    const sla = await call(app, ADMIN, 'POST', '/v1/flows', flow);
    expect(sla.statusCode).toBe(400);
    expect(sla.data.error).toMatchObject({
      issues: [{ path: 'nodes[1].sla.duration', message: '"1000w" is longer than the maximum of 365d' }],
    });
    const huge = await call(
      app,
      ADMIN,
      'POST',
      '/v1/flows',
      `${JSON.stringify({ ...baseFlow(), id: 'versions' }).replace(/"version":\d+/, '"version":1e300')}`,
      { 'content-type': 'text/yaml' },
    );
    expect(huge.statusCode).toBe(400);
    expect(huge.data.error).toMatchObject({
      code: 'SLUICE_ERR_FLOW_INVALID',
      issues: [{ path: 'version', message: `must be <= ${L.maxFlowVersion}` }],
    });
    expect((await call(app, ADMIN, 'POST', '/v1/flows', { ...baseFlow(), id: 'versions', version: L.maxFlowVersion })).statusCode).toBe(
      201,
    );
    expect((await call(app, ADMIN, 'GET', '/v1/flows/versions')).data).toMatchObject({ latestVersion: 2_147_483_647 });
  });

  it('refuses ticket fields nested 3000 deep with 400 naming the field', async () => {
    const res = await post(AGENT, '/v1/tickets', { flowId: 'plain', fields: { amount: 5, deep: nested(3000) } });
    expect(res.statusCode).toBe(400);
    expect(res.data.error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: `fields.deep${'.a'.repeat(31)}` });
    const long = await call(app, AGENT, 'POST', '/v1/tickets', { flowId: 'plain', fields: { note: 'x'.repeat(10_001) } });
    expect(long.data.error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'fields.note' });
  });

  it('accepts only ticket ids that /v1/tickets/{id} can serve (property)', async () => {
    const alphabet = [...'abcXYZ019._:-'];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 140 }),
        fc.array(fc.constantFrom(...alphabet), { minLength: 140, maxLength: 140 }),
        async (length, chars) => {
          const id = `t${chars.join('')}`.slice(0, length);
          const created = await call(app, AGENT, 'POST', '/v1/tickets', { flowId: 'plain', id, fields: { amount: 1 } });
          if (length > L.maxIdLength) {
            expect(created.statusCode).toBe(400);
            expect(created.data.error).toMatchObject({ field: 'body.id' });
            return;
          }
          expect([201, 409]).toContain(created.statusCode);
          const read = await call(app, AGENT, 'GET', `/v1/tickets/${encodeURIComponent(id)}`);
          expect(read.statusCode, id).toBe(200);
          expect(read.data.id).toBe(id);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/** Values a careless or hostile flow author might put anywhere. */
const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e300, -1e300, Number.MAX_VALUE, 2 ** 53 + 2, 2 ** 31, -0, 0.5, -1, 0, ''),
  fc.integer({ min: 33, max: 4000 }).chain((n) => fc.boolean().map((array) => nested(n, array))),
  fc.integer({ min: 201, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('1000w', '365d', '365d1ms', '1e5w', `${'9'.repeat(400)}w`, `1h${'x'.repeat(1000)}`, '-1h', '0', '1.5.5h', '  '),
  fc.constantFrom(
    'fields.s.matches("(a+)+$")',
    'fields.s.matches("a(?=b)")',
    'fields.s.matches("(a)\\\\1")',
    `fields.s.matches("${'a{1000}'.repeat(5)}")`,
    'fields.s.matches(fields.p)',
    'fields.l.all(x, fields.l.all(y, fields.l.all(z, x == y)))',
    'cel.bind(a, fields.l, cel.bind(b, a + a, size(b) > 0))',
    'sluice_re2_matches(fields.s, "a")',
    'has(fields.amount',
    'fields.amount > 1 \u0000',
    `${'('.repeat(150)}true${')'.repeat(150)}`,
  ),
  fc.constantFrom(
    ['09:00-17:00', '08:00-10:00'],
    Array.from({ length: 2000 }, () => '2026-01-01'),
    ['24:00-25:00'],
    { workingHours: {} },
    { workingHours: { sun: ['00:00-00:01'] }, holidays: ['9999-12-31'] },
  ),
  fc
    .integer({ min: 0, max: 3 })
    .map((n) => Array.from({ length: n * 2000 }, (_, i) => ({ id: `x${i}`, type: 'task', assignees: { user: 'ann' } }))),
);

const PATHS = [
  'version',
  'id',
  'name',
  'description',
  'nodes',
  'controls',
  'calendars',
  'triggers',
  'permissions',
  'nodes.1.sla.duration',
  'nodes.1.sla.warnings.0.delay',
  'nodes.1.sla.warnings.0.repeat',
  'nodes.1.sla.warnings.0.interval',
  'nodes.1.sla.calendar',
  'nodes.1.sla',
  'nodes.1.assignees',
  'nodes.1.assignees.expression',
  'nodes.1.extra',
  'nodes.1.id',
  'nodes.1.todos',
  'calendars.office.workingHours.mon',
  'calendars.office.holidays',
  'calendars.office.utcOffset',
  'calendars.office',
  'controls.1.when',
  'controls.0.to',
  'controls.0.from',
  'triggers.0.when',
  'triggers.0.trajectory',
  'triggers.0.priority',
] as const;

function mutate(doc: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let at: Record<string, unknown> = doc;
  for (const k of keys.slice(0, -1)) {
    const next = at[k];
    if (typeof next !== 'object' || next === null) return doc;
    at = next as Record<string, unknown>;
  }
  at[keys[keys.length - 1] as string] = value;
  return doc;
}

/** A flow request body in one of the forms `POST /v1/flows` takes (JSON text is also YAML). */
const request = fc
  .record({
    changes: fc.array(fc.tuple(fc.constantFrom(...PATHS), hostile), { minLength: 1, maxLength: 3 }),
    form: fc.constantFrom('json', 'yaml', 'source'),
  })
  .map(({ changes, form }) => {
    const doc = changes.reduce((d, [path, value]) => mutate(d, path, value), baseFlow());
    const text = json(doc);
    if (form === 'json') return { body: text, headers: { 'content-type': 'application/json' } };
    return form === 'yaml'
      ? { body: text, headers: { 'content-type': 'text/yaml' } }
      : { body: JSON.stringify({ source: text }), headers: { 'content-type': 'application/json' } };
  });

/** YAML and JSON texts that are not flows at all. */
const yaml = { 'content-type': 'text/yaml' };
const jsonType = { 'content-type': 'application/json' };
const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ body: text, headers: yaml })),
  fc.integer({ min: 33, max: 30_000 }).map((n) => ({ body: `nodes: ${'['.repeat(n)}${']'.repeat(n)}`, headers: yaml })),
  fc.integer({ min: 33, max: 30_000 }).map((n) => ({ body: `nodes:\n${'- '.repeat(n)}x`, headers: yaml })),
  fc.constant({ body: `a: &a [${'x,'.repeat(500)}x]\nb: [${'*a,'.repeat(500)}*a]`, headers: yaml }),
  fc
    .integer({ min: 33, max: 30_000 })
    .map((n) => ({ body: json({ id: 'deep', version: 1, name: 'x', nodes: nested(n, true), controls: [] }), headers: jsonType })),
  fc.jsonValue().map((value) => ({ body: JSON.stringify({ source: JSON.stringify(value) }), headers: jsonType })),
  fc
    .jsonValue()
    .filter((v) => typeof v === 'object' && v !== null)
    .map((value) => ({ body: JSON.stringify(value), headers: jsonType })),
);

/** Ticket fields a careless or hostile caller might send. */
const fields = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 }),
  fc.integer({ min: 1, max: 5000 }).map((n) => ({ amount: 2, deep: nested(n, n % 2 === 0) })),
  fc
    .integer({ min: 9_000, max: 20_000 })
    .map((n) => ({ amount: 2, s: 'a'.repeat(n), l: Array.from({ length: Math.min(n, 1200) }, () => 'b') })),
  fc.constant(Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]))),
  fc.record({ amount: fc.constantFrom(1e308, -1e308, 2 ** 53, 0.1, 2), s: fc.string({ unit: 'binary', maxLength: 20 }) }),
);

describe('hostile input to the workflow API (property)', () => {
  it('never answers POST /v1/flows with a 5xx, and the next request of another tenant succeeds', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: request }, { weight: 1, arbitrary: junk }), async ({ body, headers }) => {
        const res = await call(app, ADMIN, 'POST', '/v1/flows', body, headers);
        expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
        if (res.statusCode === 201) {
          const ticket = await call(app, AGENT, 'POST', '/v1/tickets', { flowId: res.data.id, fields: { amount: 2, s: 'aaa', l: [1] } });
          expect(ticket.statusCode, ticket.body.slice(0, 300)).toBeLessThan(500);
        }
        await sentinel();
      }),
      { numRuns: 150 },
    );
  });

  it('never answers ticket creation with a 5xx, and the next request of another tenant succeeds', { timeout: 300_000 }, async () => {
    const body = fc.oneof(
      fields.map((f) => ({ flowId: 'plain', fields: f })),
      fields.map((f) => ({ intent: 'probe', fields: f })),
      fc.record({
        flowId: fc.constantFrom('plain', 'x'.repeat(200), 'ghost'),
        id: fc.string({ unit: 'binary', maxLength: 140 }),
        title: fc.string({ maxLength: 600 }),
      }),
      fc.record({ trajectory: fc.array(fc.string({ maxLength: 200 }), { maxLength: 80 }), fields: fields }),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await post(AGENT, '/v1/tickets', b);
        expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
        if (res.statusCode === 201) {
          const id = (res.data.ticket as { id: string }).id;
          expect((await call(app, AGENT, 'GET', `/v1/tickets/${encodeURIComponent(id)}`)).statusCode).toBe(200);
          const done = await post(ADMIN, `/v1/tickets/${encodeURIComponent(id)}/actions`, {
            type: 'complete',
            fields: (b as { fields?: unknown }).fields ?? {},
          });
          expect(done.statusCode, done.body.slice(0, 300)).toBeLessThan(500);
        }
        await sentinel();
      }),
      { numRuns: 150 },
    );
  });
});
