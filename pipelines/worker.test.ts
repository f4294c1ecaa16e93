import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { agentPipeline } from './agent/pipeline.js';
import type { AgentEvent, AgentState, TelemetryEvent } from './events/types.js';
import { skillGroupPipeline } from './skillgroup/pipeline.js';
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
        if (prop === 'insertEvents')
          return async (...args: Parameters<MemoryTelemetryStore['insertEvents']>) => {
            if (++writes === 2) await gate;
            return target.insertEvents(...args);
          };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const worker = new PipelineWorker({
      bus,
      store: held,
      clock,
      pipelines: {
        skillgroup: skillGroupPipeline({ serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 0, allowedLatenessMs: 0 }),
      },
    });
    const producer = await bus.producer();
    const events: TelemetryEvent[] = Array.from({ length: 8 }, (_, i) => ({
      v: 1,
      tenant: 'acme',
      source: 'skillgroup',
      id: `e${i}`,
      ts: T + i * 1_000,
      body: { skillGroup: 'sales', callId: `c${i}`, type: 'OFFERED' },
    }));
    await producer.send('sluice.skillgroup', [
      ...events.map((e) => ({ key: 'acme|sales', value: JSON.stringify(e), timestamp: e.ts })),
      { key: 'acme|sales', value: 'not json', timestamp: T + 9_000 },
    ]);
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

  it('stores the raw events and the figures of a batch side by side, and hands on and commits only once both are stored', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
    const store = new MemoryTelemetryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const held = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'insertEvents')
          return async (...args: Parameters<MemoryTelemetryStore['insertEvents']>) => {
            calls.push('raw: started');
            await gate;
            await target.insertEvents(...args);
            calls.push('raw: stored');
          };
        if (prop === 'upsertMinutes')
          return async (...args: Parameters<MemoryTelemetryStore['upsertMinutes']>) => {
            await target.upsertMinutes(...args);
            calls.push('figures: stored');
          };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const worker = new PipelineWorker({
      bus,
      store: held,
      clock: new ManualClock(T + 60_000),
      pipelines: {
        skillgroup: skillGroupPipeline({ serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 0, allowedLatenessMs: 0 }),
      },
      onEvents: (evs) => calls.push(`handed on: ${evs.length}`),
    });
    const events: TelemetryEvent[] = Array.from({ length: 4 }, (_, i) => ({
      v: 1,
      tenant: 'acme',
      source: 'skillgroup',
      id: `e${i}`,
      ts: T + i * 1_000,
      body: { skillGroup: 'sales', callId: `c${i}`, type: 'OFFERED' },
    }));
    await (await bus.producer()).send(
      'sluice.skillgroup',
      events.map((e) => ({ key: 'acme|sales', value: JSON.stringify(e), timestamp: e.ts })),
    );
    await worker.start();
    while (!calls.includes('figures: stored')) await new Promise((r) => setTimeout(r, 5));
    // The figures are stored while the raw insert is still held; nothing is handed on or committed yet.
    expect(calls).toEqual(['raw: started', 'figures: stored']);
    expect(worker.handled).toBe(0);
    expect((await bus.committed('sluice-pipelines', 'sluice.skillgroup')).get(0)).toBe(-1);
    release();
    while (worker.handled < 4) await new Promise((r) => setTimeout(r, 5));
    expect(calls).toEqual(['raw: started', 'figures: stored', 'raw: stored', 'handed on: 4']);
    // Committed now, at the first offset the open minute still needs.
    expect((await bus.committed('sluice-pipelines', 'sluice.skillgroup')).get(0)).toBe(0);
    await worker.stop();
    expect(await store.countEvents('acme')).toBe(4);
  });

  it('hands a partition on with what it committed: a worker restarted mid-stream ends with the agent figures of one that never stopped', async () => {
    const states: AgentState[] = ['AVAILABLE', 'RINGING', 'ON_CALL', 'ACW', 'AUX', 'AVAILABLE', 'LOGGED_OUT'];
    // Jitter within the out-of-orderness, and every 17th change 200 s late (within the lateness).
    const events: AgentEvent[] = Array.from({ length: 400 }, (_, i) => ({
      v: 1,
      tenant: 'acme',
      source: 'agent',
      id: `a${i}`,
      ts: T + i * 6_000 + ((i * 2_011) % 4_000) - (i % 17 === 0 ? 200_000 : 0),
      body: { agentId: `ag${i % 5}`, state: states[(i * 3) % states.length]!, reason: `r${i % 3}` },
    }));
    const opts = { outOfOrdernessMs: 5_000, allowedLatenessMs: 300_000, intervalMinutes: 15 } as const;
    const send = async (bus: MemoryBus, evs: AgentEvent[]) =>
      (await bus.producer()).send(
        'sluice.agent',
        evs.map((e) => ({ key: `acme|${e.body.agentId}`, value: JSON.stringify(e), timestamp: e.ts })),
      );
    const setup = async () => {
      const bus = new MemoryBus();
      bus.maxBatch = 25;
      await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((x) => ({ topic: `sluice.${x}`, partitions: 1 })));
      return { bus, store: new MemoryTelemetryStore() };
    };
    const clock = new ManualClock(T + 400 * 6_000 + 60_000);
    const worker = (bus: MemoryBus, store: MemoryTelemetryStore) =>
      new PipelineWorker({ bus, store, clock, pipelines: { agent: agentPipeline(opts) } });
    const until = async (w: PipelineWorker, n: number) => {
      while (w.handled < n) await new Promise((r) => setTimeout(r, 5));
    };
    /** What a reader sees of every stored minute and interval (versions aside: each reader's carry its epoch). */
    const figures = async (store: MemoryTelemetryStore) =>
      (
        await Promise.all(
          [60, 900].map((windowSec) => store.agentWindows({ tenant: 'acme', from: T - 3_600_000, to: T + 7_200_000, windowSec })),
        )
      )
        .flat()
        .map(({ version: _, ...r }) => r);

    const whole = await setup();
    const once = worker(whole.bus, whole.store);
    await send(whole.bus, events);
    await once.start();
    await until(once, 400);
    await once.stop();

    const split = await setup();
    await send(split.bus, events.slice(0, 230));
    const first = worker(split.bus, split.store);
    await first.start();
    await until(first, 230);
    await first.stop();
    const resumeAt = (await split.bus.committed('sluice-pipelines', 'sluice.agent')).get(0)!;
    expect(resumeAt).toBeLessThan(230); // held behind the windows still open: the second worker replays
    expect(await split.bus.committedMetadata('sluice-pipelines', 'sluice.agent')).toEqual(
      new Map([[0, expect.stringContaining('"epoch":1')]]),
    );
    await send(split.bus, events.slice(230));
    const second = worker(split.bus, split.store);
    await second.start();
    await until(second, 400 - resumeAt);
    await second.stop();

    const want = await figures(whole.store);
    expect(want.length).toBeGreaterThan(50);
    expect(await figures(split.store)).toEqual(want);
  });
});
