import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { MemoryTelemetryStore } from '../../pipelines/store/memory.js';
import { callOutcome, callPriority, slowStore } from './faults.js';

const event = (id: string, ts: number): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id,
  ts,
  body: { skillGroup: 'sales', callId: `c-${id}`, type: 'OFFERED' },
});
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('slowStore', () => {
  it('passes writes straight through while no delay is set', async () => {
    const clock = new ManualClock(1_000_000);
    const slow = slowStore(new MemoryTelemetryStore(), clock);
    await slow.store.insertEvents([event('a', 1_000_000)], 't1');
    expect(slow.writes).toBe(1);
    expect(await slow.store.countEvents('acme')).toBe(1);
  });

  it('holds each write for the delay on the scenario clock, then writes it; reads are not held', async () => {
    const clock = new ManualClock(1_000_000);
    const slow = slowStore(new MemoryTelemetryStore(), clock);
    slow.delayMs = 4_000;
    let done = false;
    const writing = slow.store.insertEvents([event('a', 1_000_000)], 't1').then(() => (done = true));
    await settle();
    expect(slow.waiting).toBe(1);
    expect(await slow.store.countEvents('acme')).toBe(0);
    clock.advance(3_999);
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await writing;
    expect(slow.waiting).toBe(0);
    expect(slow.writes).toBe(1);
    expect(await slow.store.countEvents('acme')).toBe(1);
  });
});

describe('callOutcome and callPriority', () => {
  it('fails calls on the primary only while it is down', () => {
    expect(callOutcome('cti-primary', 50, 'cti-primary', 1)).toEqual({ success: false, latencyMs: 50 });
    expect(callOutcome('cti-backup', 50, 'cti-primary', 1).success).toBe(true);
    expect(callOutcome('cti-primary', undefined, 'cti-primary', 1).success).toBe(true);
    expect(callOutcome(undefined, 50, 'cti-primary', 1).success).toBe(true);
  });

  it('gives a call the same priority every time, in roughly the stated mix', () => {
    expect(callPriority('t7-c42')).toBe(callPriority('t7-c42'));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i++) counts[callPriority(`t1-c${i}`)] = (counts[callPriority(`t1-c${i}`)] ?? 0) + 1;
    expect(counts.low! / 10_000).toBeCloseTo(0.2, 1);
    expect(counts.normal! / 10_000).toBeCloseTo(0.65, 1);
    expect(counts.vip! / 10_000).toBeGreaterThan(0.02);
  });
});
