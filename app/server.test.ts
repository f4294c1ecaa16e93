import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { storeDeadLetters } from '../pipelines/dead-letters.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../pipelines/store/memory.js';
import { parseApiKeys } from './config.js';
import { Metrics } from './metrics.js';
import { buildServer } from './server.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ADMIN_ACME = 'acme-admin-key-0000000001';
const VIEWER_ACME = 'acme-viewer-key-000000001';
const ADMIN_GLOBEX = 'globex-admin-key-00000001';
const PLATFORM = 'platform-viewer-key-00001';

const event = (over: Record<string, unknown> = {}) => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `e-${Math.random()}`,
  ts: NOW - 1000,
  body: { skillGroup: 'sales', callId: 'c1', type: 'OFFERED' },
  ...over,
});

describe('HTTP API basics', () => {
  let app: FastifyInstance;
  let bus: MemoryBus;
  let store: MemoryTelemetryStore;
  const realtime = new RealtimeState();
  beforeAll(async () => {
    bus = new MemoryBus();
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 2 })));
    store = new MemoryTelemetryStore();
    realtime.applyRows(
      [
        { tenant: 'acme', skillGroup: 'sales', windowStart: NOW - 60_000, offered: 4, answered: 3, abandoned: 1, final: false },
        { tenant: 'globex', skillGroup: 'care', windowStart: NOW - 60_000, offered: 9, answered: 9, abandoned: 0, final: false },
      ],
      NOW,
    );
    app = await buildServer({
      config: {
        apiKeys: parseApiKeys(`${ADMIN_ACME}:acme:admin,${VIEWER_ACME}:acme:viewer,${ADMIN_GLOBEX}:globex:admin,${PLATFORM}:*:viewer`),
        open: false,
        bodyLimitBytes: 4096,
        logLevel: 'silent',
      },
      clock: new ManualClock(NOW),
      metrics: new Metrics(),
      realtime,
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map([['clickhouse', () => true]]),
      state: () => 'running',
      logger: false,
    });
  });
  afterAll(async () => {
    await app.close();
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  it('401 without a key and with an unknown key, on every route', async () => {
    for (const url of ['/v1/status', '/metrics', '/v1/realtime/skillgroups', '/nope']) {
      const none = await app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.json().error.code).toBe('SLUICE_ERR_UNAUTHENTICATED');
      const bad = await app.inject({ url, headers: { 'x-api-key': 'not-a-real-key-at-all' } });
      expect(bad.statusCode).toBe(401);
      expect(bad.json().error.message).toBe('unknown API key');
    }
  });

  it('403 when the role may not use the route', async () => {
    const r = await app.inject({ method: 'POST', url: '/v1/events', headers: auth(VIEWER_ACME), payload: { events: [event()] } });
    expect(r.statusCode).toBe(403);
    expect(r.json().error).toMatchObject({ code: 'SLUICE_ERR_FORBIDDEN', message: 'role viewer may not ingest events' });
    const m = await app.inject({ url: '/metrics', headers: auth(ADMIN_ACME) });
    expect(m.statusCode).toBe(403);
    const ok = await app.inject({ url: '/metrics', headers: auth(PLATFORM) });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('sluice_http_request_duration_seconds');
  });

  it('400 naming the bad field', async () => {
    const missing = await app.inject({ method: 'POST', url: '/v1/events', headers: auth(ADMIN_ACME), payload: { evnts: [] } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'body.events' });
    const q = await app.inject({ url: '/v1/reports/minutes?from=abc&to=5', headers: auth(ADMIN_ACME) });
    expect(q.statusCode).toBe(400);
    expect(q.json().error.field).toBe('querystring.from');
    expect(q.json().error.message).toMatch(/querystring\.from must be integer/);
    const order = await app.inject({ url: `/v1/reports/minutes?from=${NOW}&to=${NOW - 1}`, headers: auth(ADMIN_ACME) });
    expect(order.json().error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'querystring.to' });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth(ADMIN_ACME), 'content-type': 'application/json' },
      payload: '{"events": [',
    });
    expect(bad.statusCode).toBe(400);
    const other = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth(ADMIN_ACME),
      payload: { events: [event(), event({ tenant: 'globex' })] },
    });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.field).toBe('body.events.1.tenant');
  });

  it('413 past the body limit', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth(ADMIN_ACME),
      payload: { events: Array.from({ length: 40 }, () => event()) },
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('SLUICE_ERR_BODY_TOO_LARGE');
  });

  it('accepts valid events onto the bus and dead-letters invalid ones with their reason', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth(ADMIN_ACME),
      payload: {
        events: [
          event({ id: 'ok-1' }),
          event({ id: 'bad-1', body: { skillGroup: 'sales', callId: 'c', type: 'TELEPORTED' } }),
          event({ id: 'old', ts: 5 }),
        ],
      },
    });
    expect(r.statusCode).toBe(202);
    expect(r.json().accepted).toBe(1);
    expect(r.json().rejected).toEqual([
      { index: 1, reason: 'schema: body.type must be one of OFFERED, ANSWERED, ABANDONED, TRANSFERRED, OVERFLOWED, COMPLETED' },
      { index: 2, reason: 'ts 5 is before 1973-03-03: epoch milliseconds expected' },
    ]);
    const onBus = [0, 1].flatMap((p) => bus.log('sluice.skillgroup', p)).map((m) => JSON.parse(m.value.toString()).id);
    expect(onBus).toEqual(['ok-1']);
    const dead = await store.deadLetters(10);
    expect(dead.map((d) => d.code).sort()).toEqual(['schema', 'timestamp']);
    expect(JSON.parse(dead.find((d) => d.code === 'schema')!.payload.toString()).id).toBe('bad-1');
  });

  it('keeps tenants apart: a tenant key sees only its tenant and is told another does not exist', async () => {
    const own = await app.inject({ url: '/v1/realtime/skillgroups', headers: auth(VIEWER_ACME) });
    expect(own.json().skillGroups.map((s: { tenant: string }) => s.tenant)).toEqual(['acme']);
    const other = await app.inject({ url: '/v1/realtime/skillgroups?tenant=globex', headers: auth(ADMIN_ACME) });
    expect(other.statusCode).toBe(404);
    const platform = await app.inject({ url: '/v1/realtime/skillgroups', headers: auth(PLATFORM) });
    expect(platform.json().skillGroups.map((s: { tenant: string }) => s.tenant)).toEqual(['acme', 'globex']);
    const onlyGlobex = await app.inject({ url: '/v1/realtime/skillgroups?tenant=globex', headers: auth(PLATFORM) });
    expect(onlyGlobex.json().skillGroups).toHaveLength(1);
  });

  it('serves agents and extensions in real time, per tenant', async () => {
    realtime.apply(
      {
        v: 1,
        tenant: 'acme',
        source: 'agent',
        id: 'a-1',
        ts: NOW - 5_000,
        body: { agentId: 'ann', state: 'AUX', reason: 'training', skillGroups: ['sales'] },
      },
      NOW,
    );
    realtime.apply(
      { v: 1, tenant: 'globex', source: 'agent', id: 'a-2', ts: NOW - 5_000, body: { agentId: 'bob', state: 'AVAILABLE' } },
      NOW,
    );
    realtime.apply(
      { v: 1, tenant: 'acme', source: 'extension', id: 'x-1', ts: NOW - 2_000, body: { extension: '2001', state: 'BUSY' } },
      NOW,
    );
    const agents = (await app.inject({ url: '/v1/realtime/agents', headers: auth(VIEWER_ACME) })).json().agents;
    expect(agents).toEqual([
      { tenant: 'acme', agentId: 'ann', state: 'AUX', reason: 'training', skillGroups: ['sales'], since: NOW - 5_000 },
    ]);
    const ext = (await app.inject({ url: '/v1/realtime/extensions', headers: auth(VIEWER_ACME) })).json().extensions;
    expect(ext).toEqual([{ tenant: 'acme', extension: '2001', state: 'BUSY', since: NOW - 2_000 }]);
    const sg = (await app.inject({ url: '/v1/realtime/skillgroups?skillGroup=sales', headers: auth(VIEWER_ACME) })).json().skillGroups[0];
    expect(sg.agents).toEqual({ AUX: 1 });
    expect((await app.inject({ url: '/v1/realtime/agents?tenant=globex', headers: auth(VIEWER_ACME) })).statusCode).toBe(404);
  });

  it('answers liveness and readiness without a key, revealing nothing else; the checks only to platform keys', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    // A presented key changes nothing (public routes do not look at it).
    expect((await app.inject({ url: '/readyz', headers: auth(VIEWER_ACME) })).json()).toEqual({ status: 'ready' });
    expect((await app.inject({ url: '/v1/status', headers: auth(VIEWER_ACME) })).statusCode).toBe(403);
    const detail = (await app.inject({ url: '/v1/status', headers: auth(PLATFORM) })).json();
    expect(detail).toMatchObject({ status: 'ready', state: 'running', checks: { clickhouse: { ok: true, required: true } } });
  });
});

describe('OpenAPI description', () => {
  it('describes every route with its schema, behind authentication', async () => {
    const bus = new MemoryBus();
    const app = await buildServer({
      config: { apiKeys: parseApiKeys(`${VIEWER_ACME}:acme:viewer`), open: false, bodyLimitBytes: 4096, logLevel: 'silent' },
      clock: new ManualClock(NOW),
      metrics: new Metrics(),
      realtime: new RealtimeState(),
      pipelines: {
        store: new MemoryTelemetryStore(),
        publisher: new EventPublisher(await bus.producer()),
        deadLetters: storeDeadLetters(new MemoryTelemetryStore()),
      },
      checks: new Map(),
      state: () => 'running',
      logger: false,
    });
    expect((await app.inject({ url: '/openapi.json' })).statusCode).toBe(401);
    const doc = (await app.inject({ url: '/openapi.json', headers: { 'x-api-key': VIEWER_ACME } })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/events', '/v1/realtime/skillgroups', '/v1/reports/minutes', '/healthz', '/readyz', '/metrics']),
    );
    expect(doc.paths['/v1/events'].post.requestBody.content['application/json'].schema.required).toEqual(['events']);
    await app.close();
  });
});
