import fc from 'fast-check';
import { from, type Observable, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { aggregateAll, count, max, mean, min, sum } from './aggregators.js';
import { LateOutput } from './late-output.js';
import { slidingWindow } from './sliding-window.js';
import { boundedWatermarks } from './testing/streams.js';
import { tumblingWindow } from './tumbling-window.js';
import { event, watermark, type EventElement, type StreamElement, type WindowResult } from './types.js';

interface V {
  k: string;
  x: number;
}
const key = (v: V): string => v.k;
const makeAgg = () =>
  aggregateAll({ n: count(), s: sum((v: V) => v.x), lo: min((v: V) => v.x), hi: max((v: V) => v.x), avg: mean((v: V) => v.x) });
type Out = ReturnType<ReturnType<typeof makeAgg>['result']>;
type Windowing = (agg: ReturnType<typeof makeAgg>, late?: LateOutput<V>) => OperatorFunction<StreamElement<V>, WindowResult<string, Out>>;

/** A window family, and the windows `[start, end)` an event belongs to in a batch computation. */
interface Family {
  readonly name: string;
  readonly op: Windowing;
  readonly windowsOf: (ts: number) => [number, number][];
}

const families: Family[] = [
  {
    name: 'tumbling 100',
    op: (aggregate) => tumblingWindow({ sizeMs: 100, key, aggregate }),
    windowsOf: (ts) => [[Math.floor(ts / 100) * 100, Math.floor(ts / 100) * 100 + 100]],
  },
  {
    name: 'sliding 50 × [100, 400]',
    op: (aggregate) => slidingWindow({ paneMs: 50, sizeMs: [100, 400], key, aggregate }),
    windowsOf: (ts) => [...hops(ts, 100, 50), ...hops(ts, 400, 50)],
  },
];

function hops(ts: number, size: number, slide: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = Math.floor(ts / slide) * slide; start > ts - size; start -= slide) out.push([start, start + size]);
  return out;
}

/** The batch answer: every window's events aggregated at once, keyed `key|start|end`. */
function batchResults(events: readonly EventElement<V>[], family: Family): Map<string, { count: number; value: Out }> {
  const groups = new Map<string, V[]>();
  const put = (k: string, start: number, end: number, v: V) => {
    const id = `${k}|${start}|${end}`;
    groups.set(id, [...(groups.get(id) ?? []), v]);
  };
  for (const e of events) for (const [s, t] of family.windowsOf(e.ts)) put(e.value.k, s, t, e.value);
  const agg = makeAgg();
  const out = new Map<string, { count: number; value: Out }>();
  for (const [id, vs] of groups) out.set(id, { count: vs.length, value: agg.result(vs.reduce((acc, v) => agg.add(acc, v), agg.create())) });
  return out;
}

function collect(obs: Observable<WindowResult<string, Out>>): WindowResult<string, Out>[] {
  const out: WindowResult<string, Out>[] = [];
  obs.subscribe((r) => out.push(r));
  return out;
}

const asMap = (results: readonly WindowResult<string, Out>[]) =>
  new Map(results.map((r) => [`${r.key}|${r.windowStart}|${r.windowEnd}`, { count: r.count, value: r.value }]));

/** Events plus an arrival order in which none is more than `bound` ms behind the newest before it. */
const boundedArrival = fc
  .record({
    bound: fc.constantFrom(0, 15, 100),
    events: fc.array(
      fc.record({ k: fc.constantFrom('a', 'b', 'c'), ts: fc.integer({ min: 0, max: 3_000 }), x: fc.integer({ min: -50, max: 500 }) }),
      { maxLength: 80 },
    ),
  })
  .chain(({ bound, events }) =>
    fc.record({
      bound: fc.constant(bound),
      delays: fc.array(fc.integer({ min: 0, max: bound }), { minLength: events.length, maxLength: events.length }),
      events: fc.constant(events),
      cuts: fc.array(fc.boolean(), { minLength: events.length, maxLength: events.length }),
    }),
  )
  .map(({ bound, delays, events, cuts }) => {
    // Arriving in order of ts + delay (delay ≤ bound) keeps every event within the bound of the newest.
    const order = events.map((e, i) => ({ e, at: e.ts + (delays[i] as number), i })).sort((a, b) => a.at - b.at || a.i - b.i);
    return { bound, arrivals: order.map(({ e }) => event<V>({ k: e.k, x: e.x }, e.ts)), cuts: order.map(({ i }) => cuts[i] as boolean) };
  });

describe('window results are a function of the events, not of their arrival', () => {
  for (const family of families) {
    it(`${family.name}: any arrival order within the bound gives the batch result, each window final exactly once`, () => {
      fc.assert(
        fc.property(boundedArrival, ({ bound, arrivals }) => {
          const late = new LateOutput<V>();
          const results = collect(from(arrivals).pipe(boundedWatermarks<V>(bound), family.op(makeAgg(), late)));
          expect(late.count).toBe(0);
          expect(results.every((r) => r.kind === 'final')).toBe(true);
          expect(results.length).toBe(asMap(results).size);
          expect(asMap(results)).toEqual(batchResults(arrivals, family));
        }),
        { numRuns: 150 },
      );
    });

    it(`${family.name}: chunking (where watermarks fall) does not change the results`, () => {
      fc.assert(
        fc.property(boundedArrival, ({ bound, arrivals, cuts }) => {
          // Watermark only at chunk ends, as a consumer emitting one per fetched batch would.
          const chunked: StreamElement<V>[] = [];
          let newest = -Infinity;
          arrivals.forEach((e, i) => {
            chunked.push(e);
            newest = Math.max(newest, e.ts);
            if (cuts[i]) chunked.push(watermark(newest - bound - 1));
          });
          const perEvent = collect(from(arrivals).pipe(boundedWatermarks<V>(bound), family.op(makeAgg())));
          const perChunk = collect(from(chunked).pipe(family.op(makeAgg())));
          expect(asMap(perChunk)).toEqual(asMap(perEvent));
          expect(perChunk.length).toBe(perEvent.length);
        }),
        { numRuns: 150 },
      );
    });
  }
});

describe('allowed lateness (tumbling)', () => {
  it('for any arrival order: late events are diverted, and the latest version of each window is the batch result of the rest', () => {
    const arbitrary = fc.record({
      events: fc.array(
        fc.record({ k: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 2_000 }), x: fc.integer({ min: 0, max: 100 }) }),
        { maxLength: 80 },
      ),
      lateness: fc.constantFrom(0, 50, 300),
    });
    fc.assert(
      fc.property(arbitrary, ({ events, lateness }) => {
        const arrivals = events.map((e) => event<V>({ k: e.k, x: e.x }, e.ts));
        const late = new LateOutput<V>();
        const diverted: EventElement<V>[] = [];
        late.events$.subscribe((l) => diverted.push(l.element));
        const family = families[0] as Family;
        const results = collect(
          from(arrivals).pipe(
            boundedWatermarks<V>(20),
            tumblingWindow({ sizeMs: 100, key, aggregate: makeAgg(), allowedLatenessMs: lateness, late }),
          ),
        );
        expect(late.count).toBe(diverted.length);
        const latest = new Map<string, WindowResult<string, Out>>();
        for (const r of results) {
          const id = `${r.key}|${r.windowStart}|${r.windowEnd}`;
          const before = latest.get(id);
          if (before) {
            expect(r.version).toBeGreaterThan(before.version);
            expect(r.kind).toBe('update');
          } else expect(r.kind === 'final' || r.kind === 'update').toBe(true);
          latest.set(id, r);
        }
        const accepted = arrivals.filter((e) => !diverted.includes(e));
        expect(asMap([...latest.values()])).toEqual(batchResults(accepted, family));
      }),
      { numRuns: 300 },
    );
  });
});
