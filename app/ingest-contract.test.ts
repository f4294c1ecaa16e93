import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { storeDeadLetters, type DeadLetterSink } from '../pipelines/dead-letters.js';
import { IngestRate } from '../pipelines/http/ingest-rate.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../pipelines/store/memory.js';
import { parseApiKeys } from './config.js';
import { Metrics } from './metrics.js';
import { buildServer } from './server.js';

/*
 * The ingest contract as a PBX or collector author meets it (docs/integration/events.md): the API document
 * describes every event body with units, and every status it lists is one the route answers — each produced
 * here by the request that earns it.
 */
const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ADMIN = 'acme-admin-key-0000000001';
const VIEWER = 'acme-viewer-key-000000001';
const LIMITED = 'acme-limited-key-00000001';
let seq = 0;
const event = (over: Record<string, unknown> = {}) => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `c-${++seq}`,
  ts: NOW - 1_000,
  body: { skillGroup: 'sales', callId: `call-${seq}`, type: 'OFFERED' },
  ...over,
});

describe('POST /v1/events: the contract', () => {
  let app: FastifyInstance;
  let store: MemoryTelemetryStore;
  let deadLettersDown = false;
  beforeAll(async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
    store = new MemoryTelemetryStore();
    const real = storeDeadLetters(store);
    const deadLetters: DeadLetterSink = {
      write: (d, origin) => (deadLettersDown ? Promise.reject(new Error('ClickHouse unavailable')) : real.write(d, origin)),
    };
    app = await buildServer({
      config: {
        apiKeys: parseApiKeys(`${ADMIN}:acme:admin,${VIEWER}:acme:viewer,${LIMITED}:acme:admin`),
        open: false,
        bodyLimitBytes: 256 * 1024,
        logLevel: 'silent',
      },
      clock: new ManualClock(NOW),
      metrics: new Metrics(),
      realtime: new RealtimeState(),
      pipelines: {
        store,
        publisher: new EventPublisher(await bus.producer()),
        deadLetters,
        // 1,000 events a second per key: only the request that sends more at once meets it.
        ingestGuard: { rate: new IngestRate(1_000) },
      },
      checks: new Map(),
      state: () => 'running',
      logger: false,
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  const post = (events: unknown[], key = ADMIN) =>
    app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload: { events } });

  it('a time in seconds is refused naming the unit: epoch milliseconds expected (looks like seconds)', async () => {
    const r = await post([event({ ts: Math.floor(NOW / 1000) - 1 }), event()]);
    expect(r.statusCode).toBe(202);
    expect(r.json().rejected).toEqual([
      {
        index: 0,
        reason: `ts ${Math.floor(NOW / 1000) - 1} is not epoch milliseconds (looks like seconds: 2026-11-23T09:29:59.000Z); epoch milliseconds expected`,
      },
    ]);
    const reports = await post([
      event({ source: 'interval', body: { scope: 'skillgroup', key: 'sales', intervalStart: 1_795_000_000, intervalSec: 900 } }),
    ]);
    expect(reports.json().error.rejected[0].reason).toMatch(
      /^body\.intervalStart 1795000000 is not epoch milliseconds \(looks like seconds: /,
    );
  });

  it('a batch of which nothing is accepted answers 422 naming the reasons, and every event is dead-lettered', async () => {
    const before = (await store.deadLetters(1_000)).length;
    const r = await post([
      event({ ts: 1_790_000_000 }),
      event({ body: { skillGroup: 'sales', callId: 'x', type: 'OFFERED', waitMs: 2.5 } }),
      event({ body: { skillGroup: 'sales', type: 'OFFERED' } }),
      event({ v: 2 }),
    ]);
    expect(r.statusCode).toBe(422);
    const error = r.json().error;
    expect(error).toMatchObject({ code: 'SLUICE_ERR_EVENTS_REJECTED', retriable: false, accepted: 0 });
    expect(error.message).toBe(
      'none of the 4 events was accepted: body.events.0: ts 1790000000 is not epoch milliseconds (looks like seconds: 2026-09-21T14:13:20.000Z); epoch milliseconds expected; ' +
        'body.events.1: schema: body.waitMs must be integer; body.events.2: schema: body.callId is required; and 1 more (see rejected)',
    );
    expect(error.rejected.map((x: { index: number }) => x.index)).toEqual([0, 1, 2, 3]);
    expect(error.rejected[3].reason).toBe('schema: v must be equal to constant');
    expect((await store.deadLetters(1_000)).length - before).toBe(4);
  });

  it('answers every status its API document lists, each for the reason it gives', async () => {
    const answered = new Map<number, string>();
    const note = (r: { statusCode: number; body: string }) => answered.set(r.statusCode, r.body);
    note(await post([event()]));
    note(await post([event()], VIEWER));
    note(await app.inject({ method: 'POST', url: '/v1/events', payload: { events: [event()] } }));
    note(await post([event({ tenant: 'globex' })]));
    note(await post(Array.from({ length: 2_500 }, () => event())));
    note(
      await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/xml' },
        payload: '<events/>',
      }),
    );
    note(await post([event({ ts: 5 })]));
    note(
      await post(
        Array.from({ length: 1_001 }, () => event()),
        LIMITED,
      ),
    );
    deadLettersDown = true;
    try {
      note(await post([event({ ts: 5 })]));
    } finally {
      deadLettersDown = false;
    }
    const code = (s: number) => JSON.parse(answered.get(s) ?? '{}').error?.code;
    expect([...answered.keys()].sort()).toEqual([202, 400, 401, 403, 413, 415, 422, 429, 503]);
    expect([code(400), code(403), code(422), code(429), code(503)]).toEqual([
      'SLUICE_ERR_VALIDATION',
      'SLUICE_ERR_FORBIDDEN',
      'SLUICE_ERR_EVENTS_REJECTED',
      'SLUICE_ERR_RATE_LIMITED',
      'SLUICE_ERR_UNAVAILABLE',
    ]);

    const doc = (await app.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${ADMIN}` } })).json();
    const documented = Object.keys(doc.paths['/v1/events'].post.responses).map(Number);
    expect(documented.sort()).toEqual([...answered.keys()].sort());
  });

  it('the API document describes each kind of event: its body, every field with a description, times in milliseconds', async () => {
    const doc = (await app.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${ADMIN}` } })).json();
    const op = doc.paths['/v1/events'].post;
    expect(op.summary).toBe('Send a batch of normalized events');
    const items = op.requestBody.content['application/json'].schema.properties.events.items;
    const kinds = items.oneOf as {
      title: string;
      properties: Record<string, { description?: string; properties?: Record<string, { description?: string }> }>;
    }[];
    expect(kinds.map((k) => k.title)).toEqual([
      'Agent state event',
      'Extension (device) state event',
      'Skill-group (queue) call event',
      'Interval report event',
    ]);
    for (const k of kinds) {
      for (const [name, p] of Object.entries(k.properties)) expect(p.description, `${k.title}: ${name}`).toBeTruthy();
      for (const [name, p] of Object.entries(k.properties.body!.properties!))
        expect(p.description, `${k.title}: body.${name}`).toBeTruthy();
      expect(k.properties.ts!.description).toMatch(/epoch milliseconds \(not seconds\)/);
    }
    const call = kinds[2]!.properties.body!.properties!;
    expect(call.waitMs!.description).toMatch(/milliseconds/);
    expect(call.type!.description).toMatch(/ABANDONED: the caller hung up while waiting/);
  });
});
