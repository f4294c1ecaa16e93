import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import type { TelemetryEvent } from './events/types.js';
import { skillGroupPipeline } from './skillgroup/factory.js';
import { MemoryTelemetryStore } from './store/memory.js';
import { PipelineWorker } from './worker.js';

const T = Date.UTC(2026, 10, 23, 9, 0);

describe('PipelineWorker', () => {
  it('stores raw events and minute rows, dead-letters bad bytes, and reports its lag while a write is held', async () => {
    const bus = new MemoryBus();
    bus.maxBatch = 3;
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
    const clock = new ManualClock(T + 60_000);
    const store = new MemoryTelemetryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let writes = 0;
    const held = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'insertEvents') return async (...args: Parameters<MemoryTelemetryStore['insertEvents']>) => {
          if (++writes === 2) await gate;
          return target.insertEvents(...args);
        };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const worker = new PipelineWorker({ bus, store: held, clock, pipelines: { skillgroup: skillGroupPipeline({ serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 0, allowedLatenessMs: 0 }) } });
    const producer = await bus.producer();
    const events: TelemetryEvent[] = Array.from({ length: 8 }, (_, i) => ({ v: 1, tenant: 'acme', source: 'skillgroup', id: `e${i}`, ts: T + i * 1_000, body: { skillGroup: 'sales', callId: `c${i}`, type: 'OFFERED' } }));
    await producer.send('sluice.skillgroup', [...events.map((e) => ({ key: 'acme|sales', value: JSON.stringify(e), timestamp: e.ts })), { key: 'acme|sales', value: 'not json', timestamp: T + 9_000 }]);
    await worker.start();
    while (writes < 2) await new Promise((r) => setTimeout(r, 5));
    expect(worker.handled).toBe(3);
    // The second batch (offsets 3–5) is in flight, its write held: the lag counts from its first message,
    // and keeps growing while the write hangs.
    expect(worker.lagMessages).toBe(6);
    expect(worker.lagMs(clock.now())).toBe(60_000 - 3_000);
    clock.advance(30_000);
    expect(worker.lagMs(clock.now())).toBe(90_000 - 3_000);
    release();
    while (worker.handled < 9) await new Promise((r) => setTimeout(r, 5));
    expect(worker.lagMessages).toBe(0);
    expect(worker.lagMs(clock.now())).toBe(0);
    // Eight ids remembered, and the open minute's accumulators: one tumbling, one sliding pane.
    expect(worker.stateSize()).toEqual({ skillgroup: 8 + 2 });
    await worker.stop();
    expect(await store.countEvents('acme')).toBe(8);
    expect((await store.minutes({ tenant: 'acme', from: T, to: T + 60_000 }))[0]).toMatchObject({ offered: 8 });
    expect((await store.deadLetters(5)).map((d) => d.code)).toEqual(['malformed']);
  });
});
