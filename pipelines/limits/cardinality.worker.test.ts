import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock } from '../../adapters/clock.js';
import type { TelemetryEvent } from '../events/types.js';
import { skillGroupPipeline } from '../skillgroup/pipeline.js';
import { MemoryTelemetryStore } from '../store/memory.js';
import { PipelineWorker } from '../worker.js';
import { CardinalityLimiter } from './cardinality.js';

const T = Date.UTC(2026, 10, 23, 9, 0);

describe('PipelineWorker with a CardinalityLimiter', () => {
  it('dead-letters the events that bring a tenant past its skill-group limit, whatever the input path, and stores the rest', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
    const clock = new ManualClock(T + 10_000);
    const store = new MemoryTelemetryStore();
    const limiter = new CardinalityLimiter({ limits: { skillGroup: 20 } });
    const codes: string[] = [];
    const worker = new PipelineWorker({
      bus,
      store,
      clock,
      pipelines: {
        skillgroup: skillGroupPipeline({ serviceLevelMs: 20_000, shortAbandonMs: 5_000, outOfOrdernessMs: 0, allowedLatenessMs: 0 }),
      },
      admit: (e, now) => limiter.admit(e, now),
      observer: { deadLettered: (_source, code) => codes.push(code) },
    });
    const producer = await bus.producer();
    const ev = (tenant: string, skillGroup: string, i: number): TelemetryEvent => ({
      v: 1,
      tenant,
      source: 'skillgroup',
      id: `${tenant}-${i}`,
      ts: T + i,
      body: { skillGroup, callId: `c${i}`, type: 'OFFERED' },
    });
    // The noisy tenant: 2,000 events, each with a new skill group, written straight to the topic (as a Kafka producer would).
    const noisy = Array.from({ length: 2_000 }, (_, i) => ev('noisy', `sg-${i}`, i));
    const quiet = Array.from({ length: 50 }, (_, i) => ev('quiet', i % 2 ? 'sales' : 'care', i));
    const known = Array.from({ length: 10 }, (_, i) => ev('noisy', `sg-${i}`, 5_000 + i));
    for (const batch of [noisy, quiet, known]) {
      await producer.send(
        'sluice.skillgroup',
        batch.map((e) => ({ key: e.tenant, value: JSON.stringify(e), timestamp: e.ts })),
      );
    }
    await worker.start();
    while (worker.handled < noisy.length + quiet.length + known.length) await new Promise((r) => setTimeout(r, 5));
    await worker.stop();
    expect(await store.countEvents('quiet')).toBe(50);
    expect(await store.countEvents('noisy')).toBe(20 + 10);
    const dead = await store.deadLetters(10_000);
    expect(dead).toHaveLength(1_980);
    expect(new Set(dead.map((d) => d.code))).toEqual(new Set(['cardinality-limit']));
    expect(dead[0]).toMatchObject({
      tenant: 'noisy',
      source: 'skillgroup',
      reason: expect.stringMatching(/^tenant noisy is at its limit of 20 skill groups/),
    });
    expect(codes.filter((c) => c === 'cardinality-limit')).toHaveLength(1_980);
    expect(limiter.counts()).toEqual(
      expect.arrayContaining([
        { tenant: 'noisy', kind: 'skillGroup', names: 20 },
        { tenant: 'quiet', kind: 'skillGroup', names: 2 },
      ]),
    );
    // Only admitted names reached the windows.
    const minutes = await store.minutes({ tenant: 'noisy', from: T, to: T + 60_000 });
    expect(new Set(minutes.map((m) => m.skillGroup)).size).toBeLessThanOrEqual(20);
  });
});
