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

describe('the real-time state of workers in one group', () => {
  it('keeps each partition in the worker that reads it: a rebalance drops what moved, and the two add up to everything', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([...SOURCES.map((s) => topicFor(s)), deadLetterTopic()].map((topic) => ({ topic, partitions: 4 })));
    const clock = new ManualClock(T + 120_000);
    const metrics = { registry: new Registry(), gauge: () => {}, deadLettered: { inc: () => {} } };
    const make = () => createPipelines({ clock, bus, store: new MemoryTelemetryStore(), windows: WINDOWS, consume: true, metrics });
    const first = await make();
    await first.start();
    const groups = ['sales', 'support', 'billing', 'care', 'vip', 'retail', 'claims', 'it'];
    const events: TelemetryEvent[] = groups.map((skillGroup, i) => ({
      v: 1,
      tenant: 'acme',
      source: 'skillgroup',
      id: `w${i}`,
      ts: T + i,
      body: { skillGroup, callId: `c${i}`, type: 'OFFERED' },
    }));
    await first.publisher.publish(events);
    const waiting = (p: typeof first) => p.realtime.skillGroups(clock.now(), 'acme').reduce((n, g) => n + g.callsWaiting, 0);
    while (waiting(first) < groups.length) await new Promise((r) => setTimeout(r, 5));
    expect(first.realtime.partitions().size).toBeGreaterThan(1);
    // A second worker joins: the partitions are split, and each holds only what it reads (the moved ones are read again).
    const second = await make();
    await second.start();
    while (waiting(first) + waiting(second) !== groups.length || waiting(second) === 0) await new Promise((r) => setTimeout(r, 5));
    const mine = (p: typeof first) => [...p.realtime.partitions().keys()];
    expect(mine(first).filter((k) => mine(second).includes(k))).toEqual([]);
    expect(waiting(first)).toBeLessThan(groups.length);
    // Stopped, a worker holds nothing.
    await second.stop();
    expect(second.realtime.partitions().size).toBe(0);
    await first.stop();
  });
});
