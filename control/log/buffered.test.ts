import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../../adapters/clock.js';
import { BufferedDecisionLog } from './buffered.js';
import { MemoryLogWriter } from './memory.js';
import type { DecisionRecord, LogWriter } from './types.js';

const rec = (i: number): DecisionRecord => ({
  kind: 'decision',
  ts: i,
  decisionId: `d${i}`,
  tenant: 'acme',
  skillGroup: 'care',
  callId: `c${i}`,
  priority: 'normal',
  intent: '',
  target: 'agent',
  ctiNode: 'a',
  level: 0,
  reason: 'test',
  instance: 'i',
});

describe('BufferedDecisionLog', () => {
  it('flushes in batches on its period and as soon as a batch is full, never inside append', async () => {
    const clock = new ManualClock(0);
    const writer = new MemoryLogWriter();
    const log = new BufferedDecisionLog({ writer, clock, tokenPrefix: 't', flushMs: 1_000, batchSize: 10, capacity: 100 });
    log.start();
    for (let i = 0; i < 5; i++) log.append(rec(i));
    await settle();
    expect(writer.batches).toEqual([]);
    clock.advance(1_000);
    await settle();
    expect(writer.batches).toEqual([{ token: 't:1', size: 5 }]);
    for (let i = 5; i < 30; i++) log.append(rec(i));
    expect(writer.batches).toHaveLength(1);
    clock.advance(0);
    await settle();
    expect(writer.batches.map((b) => b.size)).toEqual([5, 10, 10, 5]);
    expect(writer.decisions().map((d) => d.ts)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(log.stats()).toMatchObject({ buffered: 0, written: 30, dropped: 0 });
    await log.stop();
  });

  it('never blocks: with the writer stuck, append returns at once, keeps the newest records and counts the dropped', async () => {
    const clock = new ManualClock(0);
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const seen: number[] = [];
    const stuck: LogWriter = {
      write: async (b) => {
        await gate;
        seen.push(...b.map((r) => r.ts));
      },
    };
    const log = new BufferedDecisionLog({ writer: stuck, clock, tokenPrefix: 't', batchSize: 10, capacity: 50 });
    for (let i = 0; i < 10; i++) log.append(rec(i));
    const flushing = log.flush();
    for (let i = 10; i < 10_010; i++) log.append(rec(i));
    expect(log.stats()).toMatchObject({ buffered: 60, dropped: 9_950, written: 0 });
    open();
    await flushing;
    expect(log.stats()).toMatchObject({ buffered: 0, written: 60 });
    expect(seen).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 9_960 + i)]);
  });

  it('retries a failed batch with the same dedup token and drops it after maxAttempts', async () => {
    const clock = new ManualClock(0);
    const writer = new MemoryLogWriter();
    const tokens: string[] = [];
    const spy: LogWriter = { write: (b, t) => (tokens.push(t), writer.write(b, t)) };
    const log = new BufferedDecisionLog({ writer: spy, clock, tokenPrefix: 't', batchSize: 10, maxAttempts: 3 });
    writer.failWith = new Error('ClickHouse down');
    for (let i = 0; i < 3; i++) log.append(rec(i));
    await log.flush();
    await log.flush();
    writer.failWith = null;
    await log.flush();
    expect(tokens).toEqual(['t:1', 't:1', 't:1']);
    expect(writer.batches).toEqual([{ token: 't:1', size: 3 }]);
    writer.failWith = new Error('down again');
    log.append(rec(9));
    for (let i = 0; i < 3; i++) await log.flush();
    expect(log.stats()).toMatchObject({ written: 3, dropped: 1, failedWrites: 5, buffered: 0 });
  });

  it('waits while the sink breaker refuses, and reports outcomes to it', async () => {
    const clock = new ManualClock(0);
    const writer = new MemoryLogWriter();
    let open = true;
    const outcomes: string[] = [];
    const guard = { tryAcquire: () => (open ? null : {}), onSuccess: () => outcomes.push('ok'), onFailure: () => outcomes.push('fail') };
    const log = new BufferedDecisionLog({ writer, clock, tokenPrefix: 't', guard: () => guard });
    log.append(rec(1));
    await log.flush();
    expect(log.stats()).toMatchObject({ buffered: 1, skippedOpen: 1 });
    open = false;
    await log.flush();
    expect([writer.batches.length, outcomes]).toEqual([1, ['ok']]);
  });

  it('validates its options, naming the field', () => {
    expect(
      () =>
        new BufferedDecisionLog({
          writer: new MemoryLogWriter(),
          clock: new ManualClock(0),
          tokenPrefix: 't',
          batchSize: 100,
          capacity: 10,
        }),
    ).toThrow(/log.capacity/);
  });
});
