import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { Registry } from 'prom-client';
import { SOURCES, type TelemetryEvent } from './events/types.js';
import { MemoryTelemetryStore } from './store/memory.js';
import { deadLetterTopic, topicFor } from './topics.js';
import { createPipelines, type CreatePipelinesOptions } from './wire.js';

const T = Date.UTC(2026, 10, 23, 9, 0);
const WINDOWS = { outOfOrdernessMs: 0, allowedLatenessMs: 0, serviceLevelMs: 20_000, shortAbandonMs: 5_000, intervalMinutes: 15 } as const;

async function room(over: Partial<CreatePipelinesOptions> = {}) {
  const bus = new MemoryBus();
  await bus.ensureTopics([...SOURCES.map((s) => topicFor(s)), deadLetterTopic()].map((topic) => ({ topic, partitions: 1 })));
  const store = new MemoryTelemetryStore();
  const clock = new ManualClock(T + 120_000);
  const gauges: string[] = [];
  const metrics = { registry: new Registry(), gauge: (name: string) => void gauges.push(name), deadLettered: { inc: () => {} } };
  const seen: number[] = [];
  const pipelines = await createPipelines({
    clock,
    bus,
    store,
    windows: WINDOWS,
    consume: true,
    metrics,
    observer: { events: (e) => void seen.push(e.length) },
    ...over,
  });
  return { store, pipelines, gauges, seen };
}

const offered = (i: number): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `e${i}`,
  ts: T + i * 1_000,
  body: { skillGroup: 'sales', callId: `c${i}`, type: 'OFFERED' },
});

describe('createPipelines', () => {
  it('runs the worker with every pipeline: published events are stored, reach the real-time state and the observer', async () => {
    const { store, pipelines, seen, gauges } = await room({
      embedded: { shutdownTimeoutMs: 10_000, ingestMaxPending: 1_000, ingestTenantShare: 1 },
    });
    expect(pipelines.worker).toBeDefined();
    expect(pipelines.embedded).toBeDefined();
    expect(gauges).toContain('sluice_ingest_pending_events');
    await pipelines.start();
    await pipelines.publisher.publish([offered(0), offered(1), offered(70)]);
    while (pipelines.health().handled < 3) await new Promise((r) => setTimeout(r, 5));
    expect(await store.countEvents('acme')).toBe(3);
    expect(seen.reduce((a, b) => a + b, 0)).toBe(3);
    // The first minute closed (the watermark passed it): its row is stored and applied to the real-time state.
    expect((await store.minutes({ tenant: 'acme', from: T, to: T + 60_000 }))[0]).toMatchObject({ offered: 2 });
    expect(pipelines.realtime.skillGroups(T + 120_000, 'acme').map((g) => g.skillGroup)).toEqual(['sales']);
    expect(pipelines.health().consumerLagMs).toBe(0);
    await pipelines.stop(Date.now() + 5_000);
    await pipelines.stop();
  });

  it('builds no worker when this process does not consume, and the routes still publish', async () => {
    const { pipelines } = await room({ consume: false });
    expect(pipelines.worker).toBeUndefined();
    expect(pipelines.limiter).toBeUndefined();
    expect(pipelines.embedded).toBeUndefined();
    expect(pipelines.routes).toMatchObject({
      publisher: pipelines.publisher,
      realtime: pipelines.realtime,
      deadLetters: pipelines.deadLetters,
    });
    await pipelines.start();
    expect(pipelines.health()).toEqual({ consumerLagMs: 0, handled: 0 });
    await pipelines.stop();
  });
});
