import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { dedupById } from './dedup.js';
import { slidingWindow } from './sliding-window.js';
import { stateTotal } from './state-probe.js';
import { byKey, keyedEvent as e, sumOfV, type KeyedValue } from './testing/streams.js';
import { tumblingWindow } from './tumbling-window.js';
import { watermark, type StreamElement } from './types.js';

describe('state probes', () => {
  it('a tumbling window reports one accumulator per key per open window, freed past the allowed lateness and at teardown', () => {
    const total = stateTotal();
    const src = new Subject<StreamElement<KeyedValue>>();
    const sub = src
      .pipe(tumblingWindow({ sizeMs: 10_000, key: byKey, aggregate: sumOfV(), allowedLatenessMs: 5_000, stateProbe: total.probe }))
      .subscribe();
    expect(total.read()).toBe(0);
    src.next(e('a', 1_000, 1));
    src.next(e('a', 2_000, 1));
    src.next(e('b', 3_000, 1));
    src.next(e('a', 12_000, 1));
    expect(total.read()).toBe(3);
    src.next(watermark(10_000)); // [0, 10 s) is final but may still take late events
    expect(total.read()).toBe(3);
    src.next(watermark(15_000)); // past its lateness: freed
    expect(total.read()).toBe(1);
    sub.unsubscribe();
    expect(total.read()).toBe(0);
  });

  it('sums several operators and subscriptions: sliding panes and remembered ids', () => {
    const total = stateTotal();
    const src = new Subject<StreamElement<KeyedValue>>();
    const a = src
      .pipe(slidingWindow({ paneMs: 1_000, sizeMs: [3_000], key: byKey, aggregate: sumOfV(), stateProbe: total.probe }))
      .subscribe();
    const b = src
      .pipe(dedupById({ id: (x: KeyedValue) => `${x.k}${x.v}`, maxIds: 100, horizonMs: 60_000, stateProbe: total.probe }))
      .subscribe();
    src.next(e('a', 100, 1));
    src.next(e('a', 1_100, 2));
    src.next(e('a', 1_200, 2));
    // Panes: a@0, a@1 (2 accumulators); ids: a1, a2 (2 remembered, the repeat dropped).
    expect(total.read()).toBe(4);
    a.unsubscribe();
    expect(total.read()).toBe(2);
    b.unsubscribe();
    expect(total.read()).toBe(0);
  });
});
