import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../clock.js';
import { BufferedInsert, type BufferedInsertOptions } from './buffered-insert.js';

/** A writer that stores batches by token (a retried token is a no-op, like ClickHouse) and can be made to fail. */
class Sink {
  readonly batches: { token: string; rows: number[] }[] = [];
  readonly calls: string[] = [];
  failWith: Error | null = null;
  /** Clock time a write takes (advanced inside the write), ms. */
  latencyMs = 0;
  constructor(readonly clock: ManualClock) {}
  write = async (rows: readonly number[], token: string): Promise<void> => {
    this.calls.push(token);
    if (this.latencyMs > 0) this.clock.advance(this.latencyMs);
    if (this.failWith) throw this.failWith;
    if (!this.batches.some((b) => b.token === token)) this.batches.push({ token, rows: [...rows] });
  };
}

function setup(over: Partial<BufferedInsertOptions<number>> = {}) {
  const clock = new ManualClock(0);
  const sink = new Sink(clock);
  const seen = { inserted: [] as [number, number][], failed: [] as string[], dropped: [] as [number, string][] };
  const insert = new BufferedInsert<number>({
    write: sink.write,
    clock,
    tokenPrefix: 't',
    flushMs: 1_000,
    batchSize: 10,
    capacity: 100,
    observer: {
      inserted: (rows, ms) => seen.inserted.push([rows, ms]),
      failed: (err) => seen.failed.push((err as Error).message),
      dropped: (rows, why) => seen.dropped.push([rows, why]),
    },
    ...over,
  });
  return { clock, sink, seen, insert };
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('BufferedInsert', () => {
  it('sends a batch flushMs after its first row, or at once (never inside add) when a batch is full', async () => {
    const { clock, sink, insert } = setup();
    insert.start();
    insert.addAll(range(0, 5));
    await settle();
    clock.advance(999);
    await settle();
    expect(sink.batches).toEqual([]);
    clock.advance(1);
    await settle();
    expect(sink.batches).toEqual([{ token: 't:1', rows: range(0, 5) }]);
    for (const i of range(5, 25)) insert.add(i);
    expect(sink.batches).toHaveLength(1);
    clock.advance(0);
    await settle();
    expect(sink.batches.map((b) => b.rows.length)).toEqual([5, 10, 10, 5]);
    expect(sink.batches.flatMap((b) => b.rows)).toEqual(range(0, 30));
    expect(insert.stats()).toMatchObject({ buffered: 0, written: 30, dropped: 0 });
    await insert.stop();
    expect(clock.pending).toBe(0);
  });

  it('sends nothing on its own before start(), and flushes what is left on stop()', async () => {
    const { clock, sink, insert } = setup();
    insert.addAll(range(0, 25));
    clock.advance(10_000);
    await settle();
    expect(sink.batches).toEqual([]);
    await insert.stop();
    expect(sink.batches.map((b) => b.rows.length)).toEqual([10, 10, 5]);
    expect(clock.pending).toBe(0);
  });

  it('holds at most capacity rows: the oldest are dropped, counted and reported once per addAll', async () => {
    const { sink, seen, insert } = setup({ capacity: 20 });
    insert.addAll(range(0, 25));
    insert.add(25);
    expect(seen.dropped).toEqual([
      [5, 'full'],
      [1, 'full'],
    ]);
    expect(insert.stats()).toMatchObject({ buffered: 20, dropped: 6 });
    await insert.flush();
    expect(sink.batches.flatMap((b) => b.rows)).toEqual(range(6, 20));
  });

  it('retries a failed batch first, with its token, backing off from flushMs to maxBackoffMs', async () => {
    const { clock, sink, seen, insert } = setup({ maxBackoffMs: 3_000 });
    insert.start();
    sink.failWith = new Error('ClickHouse down');
    insert.addAll(range(0, 3));
    const attemptsAt: number[] = [];
    for (let t = 0; t < 12_000; t += 100) {
      clock.advance(100);
      await settle(2);
      while (attemptsAt.length < sink.calls.length) attemptsAt.push(clock.now());
    }
    // First attempt after flushMs, then 1 s, 2 s, and 3 s (capped) apart.
    expect(attemptsAt.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 7_000, 10_000]);
    expect(new Set(sink.calls)).toEqual(new Set(['t:1']));
    expect(seen.failed.every((m) => m === 'ClickHouse down')).toBe(true);
    insert.add(3);
    sink.failWith = null;
    await insert.flush();
    expect(sink.batches).toEqual([
      { token: 't:1', rows: [0, 1, 2] },
      { token: 't:2', rows: [3] },
    ]);
    await insert.stop();
  });

  it('a full batch does not hurry a batch waiting for its retry', async () => {
    const { clock, sink, insert } = setup();
    insert.start();
    sink.failWith = new Error('down');
    insert.addAll(range(0, 10));
    clock.advance(0);
    await settle();
    expect(sink.calls).toEqual(['t:1']);
    insert.addAll(range(10, 30));
    clock.advance(0);
    await settle();
    expect(sink.calls).toEqual(['t:1']);
    await insert.stop();
  });

  it('explicit flush retries at once and rejects with the write error; a batch is dropped after maxAttempts', async () => {
    const { sink, seen, insert } = setup({ maxAttempts: 3 });
    sink.failWith = new Error('down');
    insert.addAll([1, 2]);
    await expect(insert.flush()).rejects.toThrow('down');
    await expect(insert.flush()).rejects.toThrow('down');
    expect(insert.stats()).toMatchObject({ buffered: 2, failedWrites: 2 });
    await expect(insert.flush()).rejects.toThrow('down');
    expect(sink.calls).toEqual(['t:1', 't:1', 't:1']);
    expect(insert.stats()).toMatchObject({ buffered: 0, dropped: 2, failedWrites: 3 });
    expect(seen.dropped).toEqual([[2, 'attempts']]);
    await insert.flush();
    expect(sink.calls).toHaveLength(3);
  });

  it('reports each stored batch with its latency in clock time', async () => {
    const { sink, seen, insert } = setup();
    sink.latencyMs = 7;
    insert.addAll(range(0, 12));
    await insert.flush();
    expect(seen.inserted).toEqual([
      [10, 7],
      [2, 7],
    ]);
  });

  it('waits while the guard refuses, and tells the guard each outcome with its latency', async () => {
    const { sink } = setup();
    let refuse = true;
    const outcomes: string[] = [];
    const guard = {
      tryAcquire: () => (refuse ? null : { permit: true }),
      onSuccess: (ms: number) => outcomes.push(`ok ${ms}`),
      onFailure: (ms: number) => outcomes.push(`fail ${ms}`),
    };
    const guarded = new BufferedInsert<number>({ write: sink.write, clock: sink.clock, tokenPrefix: 'g', guard: () => guard });
    guarded.add(1);
    await guarded.flush();
    expect(guarded.stats()).toMatchObject({ buffered: 1, skippedOpen: 1 });
    refuse = false;
    sink.latencyMs = 4;
    sink.failWith = new Error('down');
    await expect(guarded.flush()).rejects.toThrow('down');
    sink.failWith = null;
    await guarded.flush();
    expect(outcomes).toEqual(['fail 4', 'ok 4']);
    expect(sink.batches).toEqual([{ token: 'g:1', rows: [1] }]);
  });

  it('runs flushes one after another: rows added while a write is in flight go in the next batch, in order', async () => {
    const clock = new ManualClock(0);
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => (open = r));
    const written: number[][] = [];
    const insert = new BufferedInsert<number>({
      write: async (rows) => {
        await gate;
        written.push([...rows]);
      },
      clock,
      tokenPrefix: 's',
      batchSize: 10,
      capacity: 50,
    });
    insert.addAll(range(0, 10));
    const first = insert.flush();
    for (const i of range(10, 9_990)) insert.add(i);
    expect(insert.stats()).toMatchObject({ buffered: 60, dropped: 9_950 - 10 });
    const second = insert.flush();
    open();
    await Promise.all([first, second]);
    expect(written.flat()).toEqual([...range(0, 10), ...range(9_950, 50)]);
    expect(insert.stats().buffered).toBe(0);
  });

  it('validates its options, naming the field', () => {
    const clock = new ManualClock(0);
    const write = async (): Promise<void> => {};
    expect(() => new BufferedInsert({ write, clock, tokenPrefix: 't', batchSize: 100, capacity: 10 })).toThrow(/capacity/);
    expect(() => new BufferedInsert({ write, clock, tokenPrefix: 't', flushMs: 0 })).toThrow(/flushMs/);
    expect(() => new BufferedInsert({ write, clock, tokenPrefix: 't', maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => new BufferedInsert({ write, clock, tokenPrefix: 't', flushMs: 5_000, maxBackoffMs: 1_000 })).toThrow(/maxBackoffMs/);
  });
});
