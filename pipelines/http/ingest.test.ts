import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock } from '../../adapters/clock.js';
import { storeDeadLetters, type DeadLetterSink } from '../dead-letters.js';
import { EventPublisher } from '../publisher.js';
import { MemoryTelemetryStore } from '../store/memory.js';
import { testServer } from '../../test/support/server.js';
import { ingestRoutes } from './ingest.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ADMIN = 'acme-admin-key-0000000001';
const PLATFORM = 'platform-admin-key-000001';
const event = (id: string, body: Record<string, unknown> = { skillGroup: 'sales', callId: 'c1', type: 'OFFERED' }) => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id,
  ts: NOW - 1_000,
  body,
});

async function app(deadLetters: (store: MemoryTelemetryStore) => DeadLetterSink = storeDeadLetters) {
  const bus = new MemoryBus();
  await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
  const store = new MemoryTelemetryStore();
  const publisher = new EventPublisher(await bus.producer());
  const a = await testServer(
    (t) =>
      t.register(ingestRoutes, {
        publisher,
        deadLetters: deadLetters(store),
        clock: new ManualClock(NOW),
        metrics: { deadLettered: { inc: () => {} } },
      }),
    {
      tenants: [],
      keys: { admin: { key: ADMIN, tenant: 'acme', role: 'admin' }, platform: { key: PLATFORM, tenant: '*', role: 'admin' } },
    },
  );
  return { app: a, bus, store };
}

describe('POST /v1/events: refused events', () => {
  let s: Awaited<ReturnType<typeof app>>;
  beforeAll(async () => {
    s = await app();
  });
  afterAll(async () => {
    await s.app.close();
  });
  const post = (events: unknown[], key = ADMIN) =>
    s.app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload: { events } });

  it('dead-letters an event nested 10,000 deep with its reason and accepts the good events of its batch', async () => {
    // Written as text: JSON.stringify itself cannot encode it.
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const text = `{"events":[${JSON.stringify(event('g1'))},${JSON.stringify(event('deep')).replace('"sales"', deep)},${JSON.stringify(event('g2'))}]}`;
    const r = await s.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: text,
    });
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json()).toEqual({ accepted: 2, rejected: [{ index: 1, reason: 'schema: body.skillGroup must be string' }] });
    expect(s.bus.log('sluice.skillgroup', 0).map((m) => JSON.parse(m.value.toString()).id)).toEqual(['g1', 'g2']);
    const d = (await s.store.deadLetters(100)).find((x) => x.reason === 'schema: body.skillGroup must be string');
    expect(d).toMatchObject({ code: 'schema', reason: 'schema: body.skillGroup must be string', tenant: 'acme' });
    expect(d!.payload.toString()).toMatch(/^\{"unkept":"the event could not be encoded again: Maximum call stack size exceeded"\}$/);
  });

  it("refuses a lone surrogate or a NUL in an id with the field named, and a platform key's event of an ill-formed tenant is dead-lettered too", async () => {
    const r = await post([event('sg\ud800x'), event('ok'), event('nul', { skillGroup: 'sales\u0000', callId: 'c', type: 'OFFERED' })]);
    expect(r.statusCode).toBe(202);
    expect(r.json().rejected).toEqual([
      { index: 0, reason: 'schema: id must be text without control characters (NUL, line breaks, …) or lone surrogates' },
      { index: 2, reason: 'schema: body.skillGroup must be text without control characters (NUL, line breaks, …) or lone surrogates' },
    ]);
    // Nothing of that batch accepted: 422 naming the reason, the event dead-lettered all the same.
    const p = await post([{ ...event('t'), tenant: 'x\ud800' }], PLATFORM);
    expect(p.statusCode).toBe(422);
    expect(p.json().error).toMatchObject({ code: 'SLUICE_ERR_EVENTS_REJECTED', retriable: false, accepted: 0, rejected: [{ index: 0 }] });
    expect((await s.store.deadLetters(100)).filter((d) => d.tenant.startsWith('x'))).toMatchObject([{ tenant: 'x\uFFFD', code: 'schema' }]);
  });
});

describe('POST /v1/events: the dead-letter sink down', () => {
  it('answers 503, retriable, and publishes nothing of the batch', async () => {
    const s = await app(() => ({ write: async () => Promise.reject(new Error('ClickHouse unavailable')) }));
    const r = await s.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { 'x-api-key': ADMIN },
      payload: { events: [event('g'), event('bad\u0000')] },
    });
    expect(r.statusCode).toBe(503);
    expect(r.json().error).toMatchObject({
      code: 'SLUICE_ERR_UNAVAILABLE',
      retriable: true,
      message: 'the dead-letter sink is unavailable',
    });
    expect(s.bus.log('sluice.skillgroup', 0)).toEqual([]);
    await s.app.close();
  });
});
