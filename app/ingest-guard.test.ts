import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import type { BusProducer } from '../adapters/bus/types.js';
import { ManualClock } from '../adapters/clock.js';
import { storeDeadLetters } from '../pipelines/dead-letters.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../pipelines/store/memory.js';
import { parseApiKeys } from './config.js';
import { IngestAdmission } from '../pipelines/http/ingest-admission.js';
import { IngestRate } from '../pipelines/http/ingest-rate.js';
import { Metrics } from './metrics.js';
import { buildServer } from './server.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ADMIN = 'acme-admin-key-0000000001';
const VIEWER = 'acme-viewer-key-000000001';
const GLOBEX = 'globex-admin-key-00000001';
let seq = 0;
const events = (n: number, tenant = 'acme') =>
  Array.from({ length: n }, () => ({
    v: 1,
    tenant,
    source: 'skillgroup',
    id: `e-${++seq}`,
    ts: NOW - 1000,
    body: { skillGroup: 'sales', callId: `c${seq}`, type: 'OFFERED' },
  }));
const post = (app: FastifyInstance, n: number, key = ADMIN, tenant = 'acme') =>
  app.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload: { events: events(n, tenant) } });

/**
 * A server whose admission allows 1000 events to wait (1000/s assumed × 2 s × 0.5), of which one tenant may
 * fill `tenantShare`; the test says what is stored.
 */
async function server(producer?: BusProducer, tenantShare = 1) {
  const bus = new MemoryBus();
  await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 2 })));
  const publisher = new EventPublisher(producer ?? (await bus.producer()));
  const counts = { stored: 0, refused: 0 };
  const admission = new IngestAdmission({
    clock: new ManualClock(NOW),
    accepted: () => publisher.published,
    stored: () => counts.stored,
    shutdownTimeoutMs: 2_000,
    maxPending: 100_000,
    initialRatePerSecond: 1_000,
    tenantShare,
  });
  const store = new MemoryTelemetryStore();
  const app = await buildServer({
    config: {
      apiKeys: parseApiKeys(`${ADMIN}:acme:admin,${VIEWER}:acme:viewer,${GLOBEX}:globex:admin`),
      open: false,
      bodyLimitBytes: 1 << 20,
      logLevel: 'silent',
    },
    clock: new ManualClock(NOW),
    metrics: new Metrics(),
    realtime: new RealtimeState(),
    pipelines: {
      store,
      publisher,
      deadLetters: storeDeadLetters(store),
      ingestGuard: producer ? {} : { admission, onRefused: () => (counts.refused += 1) },
    },
    checks: new Map(),
    state: () => 'running',
    logger: false,
  });
  return { app, bus, publisher, counts };
}

describe("POST /v1/events admission (the embedded pipeline's backpressure)", () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 503 SLUICE_ERR_INGEST_BACKLOG with Retry-After once the bound is reached, and accepts none of the refused request', async () => {
    const s = await server();
    app = s.app;
    expect((await post(s.app, 600)).statusCode).toBe(202);
    expect((await post(s.app, 400)).statusCode).toBe(202); // 1000: exactly the bound
    const refused = await post(s.app, 300);
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json()).toEqual({
      error: {
        code: 'SLUICE_ERR_INGEST_BACKLOG',
        retriable: true,
        retryAfterSeconds: 1,
        message: '1000 events accepted are not yet stored, at most 1000 may wait: nothing of this request was accepted; retry after 1 s',
      },
    });
    expect(s.publisher.published).toBe(1_000);
    expect(s.bus.held).toBe(1_000);
    expect(s.counts.refused).toBe(1);
    // Refused before its body is read: even a body that is not JSON gets the 503, not a 400 from parsing it.
    const unread = await s.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: '{"events": [not json',
    });
    expect([unread.statusCode, unread.json().error.code]).toEqual([503, 'SLUICE_ERR_INGEST_BACKLOG']);
    s.counts.stored = 600; // the worker stored some: room for the request again
    expect((await post(s.app, 300)).statusCode).toBe(202);
    expect(s.publisher.published).toBe(1_300);
  });

  it('admits concurrent requests whole: what they publish never passes the bound, never part of a request', async () => {
    const s = await server();
    app = s.app;
    expect((await post(s.app, 1)).statusCode).toBe(202);
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(s.app, 250)));
    const accepted = answers.filter((r) => r.statusCode === 202).length;
    expect(answers.filter((r) => r.statusCode === 503)).toHaveLength(12 - accepted);
    expect(accepted).toBe(3); // 1 + 3 × 250 ≤ 1000 < 1 + 4 × 250
    expect(s.publisher.published).toBe(1 + accepted * 250);
  });

  it("refuses a flooding tenant at its share of the bound while another tenant's requests are accepted", async () => {
    const s = await server(undefined, 0.5); // at most 500 of one tenant
    app = s.app;
    const flood = await Promise.all(Array.from({ length: 8 }, () => post(s.app, 100)));
    expect(flood.filter((r) => r.statusCode === 202)).toHaveLength(5);
    expect(flood.filter((r) => r.statusCode === 503).every((r) => r.headers['retry-after'] !== undefined)).toBe(true);
    for (let i = 0; i < 5; i++) expect((await post(s.app, 100, GLOBEX, 'globex')).statusCode).toBe(202);
    expect((await post(s.app, 1, GLOBEX, 'globex')).statusCode).toBe(503); // the bound itself: 1000 wait
    expect(s.publisher.published).toBe(1_000);
  });

  it('checks the key before the backlog: a viewer gets 403, not 503', async () => {
    const s = await server();
    app = s.app;
    expect((await post(s.app, 1_000)).statusCode).toBe(202);
    expect((await post(s.app, 10, VIEWER)).statusCode).toBe(403);
    expect((await post(s.app, 10)).statusCode).toBe(503);
  });

  it('a bus that does not acknowledge the events (Kafka down) answers 503 with Retry-After, never 202', async () => {
    const s = await server({ send: async () => Promise.reject(new Error('KafkaJSNumberOfRetriesExceeded')), close: async () => {} });
    app = s.app;
    const r = await post(s.app, 10);
    expect(r.statusCode).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error).toMatchObject({ code: 'SLUICE_ERR_UNAVAILABLE', retriable: true });
  });
});

describe('POST /v1/events events per second per key', () => {
  // 300,000 events through the real ingest path: seconds of CPU on a shared 2-core machine, not a timing.
  it("refuses a key's request whole with 429 and Retry-After past its events per second, while another key is served", {
    timeout: 60_000,
  }, async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
    const publisher = new EventPublisher(await bus.producer());
    const store = new MemoryTelemetryStore();
    const limited: string[] = [];
    const app = await buildServer({
      config: {
        apiKeys: parseApiKeys(`${ADMIN}:acme:admin,${GLOBEX}:globex:admin`),
        open: false,
        bodyLimitBytes: 8 << 20,
        logLevel: 'silent',
      },
      clock: new ManualClock(NOW),
      metrics: new Metrics(),
      realtime: new RealtimeState(),
      pipelines: {
        store,
        publisher,
        deadLetters: storeDeadLetters(store),
        // 5000 events a second counted over a minute's window (300,000): the test never straddles two windows.
        ingestGuard: { rate: new IngestRate(5_000, 60), onRateLimited: (t) => limited.push(t) },
      },
      checks: new Map(),
      state: () => 'running',
      logger: false,
    });
    try {
      for (let i = 0; i < 59; i++) expect((await post(app, 5_000)).statusCode).toBe(202);
      expect((await post(app, 3_000)).statusCode).toBe(202);
      const over = await post(app, 2_001); // 300,001 in this window
      expect(over.statusCode).toBe(429);
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(over.json().error).toMatchObject({ code: 'SLUICE_ERR_RATE_LIMITED', retriable: true });
      expect(publisher.published).toBe(298_000); // nothing of the refused request
      expect((await post(app, 2_000)).statusCode).toBe(202); // the refused events did not count: all 300,000 fit
      expect((await post(app, 1)).statusCode).toBe(429);
      // Refused before its body is read once the key's second is used up.
      const unread = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        payload: '{"events": [not json',
      });
      expect(unread.statusCode).toBe(429);
      expect((await post(app, 5_000, GLOBEX, 'globex')).statusCode).toBe(202); // another key
      expect(limited).toEqual(['acme', 'acme', 'acme']);
    } finally {
      await app.close();
    }
  });
});
