import fc from 'fast-check';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { count } from './aggregators.js';
import { dedupById } from './dedup.js';
import { marbleScheduler, res } from './testing/streams.js';
import { tumblingWindow } from './tumbling-window.js';
import { event, watermark, type EventElement, type StreamElement } from './types.js';

interface V {
  id: string;
}
const e = (id: string, ts: number) => event<V>({ id }, ts);
const id = (v: V): string => v.id;
const scheduler = marbleScheduler;

describe('dedupById', () => {
  it('drops repeated ids, passes watermarks, and reports each duplicate', () => {
    const ts = scheduler();
    const dups: EventElement<V>[] = [];
    const values = { a: e('1', 1_000), b: e('2', 2_000), c: e('1', 1_500), W: watermark(1_800), d: e('3', 2_500) };
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('abcWd|', values);
      expectObservable(src.pipe(dedupById({ id, maxIds: 10, horizonMs: 60_000, onDuplicate: (el) => dups.push(el) }))).toBe(
        'ab-Wd|',
        values,
      );
    });
    expect(dups).toEqual([values.c]);
  });

  it('in front of a window, a redelivered event is counted once', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const src = cold<StreamElement<V>>('abaW|', { a: e('1', 1_000), b: e('2', 2_000), W: watermark(9_999) });
      const out = src.pipe(
        dedupById({ id, maxIds: 10, horizonMs: 60_000 }),
        tumblingWindow({ sizeMs: 10_000, key: () => 'all', aggregate: count() }),
      );
      expectObservable(out).toBe('---x|', { x: res('all', 0, 10_000, 2, 2) });
    });
  });

  it('forgets the oldest id beyond maxIds, and ids older than the horizon', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const byCount = { a: e('1', 0), b: e('2', 1), c: e('3', 2), d: e('1', 3) };
      expectObservable(cold<StreamElement<V>>('abcd|', byCount).pipe(dedupById({ id, maxIds: 2, horizonMs: 1e9 }))).toBe('abcd|', byCount);
      const byTime = { a: e('1', 0), b: e('2', 5_000), c: e('1', 5_500), d: e('2', 5_600) };
      expectObservable(cold<StreamElement<V>>('abcd|', byTime).pipe(dedupById({ id, maxIds: 100, horizonMs: 1_000 }))).toBe(
        'abc-|',
        byTime,
      );
    });
  });

  it('behaves like a reference model of the same bounds on any input', async () => {
    const gen = fc.array(fc.record({ id: fc.integer({ min: 0, max: 20 }), dt: fc.integer({ min: -50, max: 100 }) }), { maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(gen, fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 500 }), async (steps, maxIds, horizonMs) => {
        let t = 1_000;
        const input = steps.map((s) => e(String(s.id), (t += s.dt)));
        // Model: remembered (id, ts) in arrival order; same forgetting rules.
        const kept: EventElement<V>[] = [];
        let memory: { id: string; ts: number }[] = [];
        let newest = -Infinity;
        for (const el of input) {
          if (memory.some((m) => m.id === el.value.id)) continue;
          newest = Math.max(newest, el.ts);
          while (memory.length > 0 && (memory[0] as { ts: number }).ts < newest - horizonMs) memory = memory.slice(1);
          if (memory.length === maxIds) memory = memory.slice(1);
          memory.push({ id: el.value.id, ts: el.ts });
          kept.push(el);
        }
        const out = await lastValueFrom(from(input).pipe(dedupById({ id, maxIds, horizonMs }), toArray()));
        expect(out).toEqual(kept);
      }),
    );
  });

  it('propagates errors, a throwing id function, and releases the source on unsubscribe', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<StreamElement<V>>('a#', { a: e('1', 0) }).pipe(dedupById({ id, maxIds: 2, horizonMs: 10 }))).toBe('a#', {
        a: e('1', 0),
      });
      const bad = (): string => {
        throw new Error('no id');
      };
      expectObservable(cold<StreamElement<V>>('a', { a: e('1', 0) }).pipe(dedupById({ id: bad, maxIds: 2, horizonMs: 10 }))).toBe(
        '#',
        undefined,
        new Error('no id'),
      );
      expectObservable(cold<StreamElement<V>>('|').pipe(dedupById({ id, maxIds: 2, horizonMs: 10 }))).toBe('|');
      const onDuplicate = (): void => {
        throw new Error('counter down');
      };
      expectObservable(cold<StreamElement<V>>('aa', { a: e('1', 0) }).pipe(dedupById({ id, maxIds: 2, horizonMs: 10, onDuplicate }))).toBe(
        'a#',
        { a: e('1', 0) },
        new Error('counter down'),
      );
    });
    const input = new Subject<StreamElement<V>>();
    input
      .pipe(dedupById({ id, maxIds: 2, horizonMs: 10 }))
      .subscribe()
      .unsubscribe();
    expect(input.observed).toBe(false);
    expect(() => dedupById({ id, maxIds: 0, horizonMs: 10 })).toThrow(/maxIds/);
  });
});
