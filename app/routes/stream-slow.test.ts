import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock } from '../../adapters/clock.js';
import type { NonCriticalGate } from '../../core/non-critical.js';
import { eventually } from '../../core/testing/eventually.js';
import { storeDeadLetters } from '../../pipelines/dead-letters.js';
import { EventPublisher } from '../../pipelines/publisher.js';
import { RealtimeState } from '../../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../../pipelines/store/memory.js';
import { parseApiKeys } from '../config.js';
import { Metrics } from '../metrics.js';
import { buildServer } from '../server.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ACME = 'slow-acme-viewer-key-0001';
const GLOBEX = 'slow-globex-viewer-key-01';

function collector() {
  const got: { type: string; [k: string]: unknown }[] = [];
  const listen = (ws: WebSocket) => ws.on('message', (d) => got.push(JSON.parse(d.toString())));
  const next = async (pred: (m: (typeof got)[number]) => boolean) => {
    const i = await eventually(
      () => got.findIndex(pred),
      (at) => at >= 0,
      () => `such a message; got ${JSON.stringify(got)}`,
      { timeoutMs: 3_000, intervalMs: 10 },
    );
    return got.splice(0, i + 1).at(-1)!;
  };
  return { next, listen };
}

// The pace itself (4× longer waits) is a pure function tested in stream-pace.test.ts; here, that the stream
// asks the control loop's advice per tenant, marks what it sends slowed, and counts it.
describe('GET /v1/stream while the control loop slows a tenant’s non-critical work', () => {
  let app: FastifyInstance;
  const slowed = new Set<string>(['acme']);
  const gate: NonCriticalGate = { slow: (t) => (t === undefined ? slowed.size > 0 : slowed.has(t)) };
  const metrics = new Metrics();
  const realtime = new RealtimeState();

  beforeAll(async () => {
    const bus = new MemoryBus();
    const store = new MemoryTelemetryStore();
    app = await buildServer({
      config: {
        apiKeys: parseApiKeys(`${ACME}:acme:viewer,${GLOBEX}:globex:viewer`),
        open: false,
        bodyLimitBytes: 65536,
        logLevel: 'silent',
      },
      clock: new ManualClock(NOW),
      metrics,
      realtime,
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      nonCritical: gate,
      state: () => 'running',
      logger: false,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it('marks the slowed tenant’s pushes `slowed: true` and counts them; the other tenant’s screens are untouched', async () => {
    const a = collector();
    const g = collector();
    const wsA = await app.injectWS(`/v1/stream?key=${ACME}`, {}, { onInit: a.listen });
    const wsG = await app.injectWS(`/v1/stream?key=${GLOBEX}`, {}, { onInit: g.listen });
    expect(await a.next((m) => m.type === 'skillgroups')).toMatchObject({ tenant: 'acme', slowed: true });
    expect(await g.next((m) => m.type === 'skillgroups')).toEqual(expect.not.objectContaining({ slowed: expect.anything() }));
    expect(await metrics.registry.getSingleMetricAsString('sluice_non_critical_slowed_total')).toMatch(
      /sluice_non_critical_slowed_total\{tenant="acme",work="stream_push"\} [1-9]/,
    );
    // Advice lifted: the next push goes at normal pace, unmarked.
    slowed.clear();
    wsA.send(JSON.stringify({ type: 'subscribe', skillGroup: null }));
    expect(await a.next((m) => m.type === 'skillgroups')).toEqual(expect.not.objectContaining({ slowed: expect.anything() }));
    wsA.terminate();
    wsG.terminate();
  });
});
