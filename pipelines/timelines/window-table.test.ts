import { Subject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { event, LateOutput, tumblingWindow, watermark, type StreamElement, type WindowResult } from '../../operators/index.js';
import { addDelta, emptyDelta, type Delta } from './figures.js';
import { WindowTable, type Emitted } from './window-table.js';

const N = 3;
const MIN = 60_000;
interface C {
  key: string;
  ts: number;
  delta: Delta;
}

const sizeOf = (seed: number) => (seed % 2 === 0 ? 15 * MIN : MIN);

/** A seeded stream of batches: corrections (some late, some past the lateness), watermarks, early calls. */
function stream(seed: number, lateness: number): ({ kind: 'c'; c: C } | { kind: 'w'; wm: number } | { kind: 'early' })[] {
  let x = seed;
  const rnd = () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const out: ({ kind: 'c'; c: C } | { kind: 'w'; wm: number } | { kind: 'early' })[] = [];
  let wm = 0;
  for (let i = 0; i < 1_500; i++) {
    const r = rnd();
    // Watermarks mostly on the last ms of a minute, as the state pipeline moves them (so some land exactly
    // on a window's end − 1 + lateness), some anywhere.
    if (r < 0.05) out.push({ kind: 'w', wm: (wm = (Math.floor(wm / MIN) + 1 + Math.floor(rnd() * 3)) * MIN - 1) });
    else if (r < 0.08) out.push({ kind: 'w', wm: (wm += Math.floor(rnd() * 3 * MIN)) });
    else if (r < 0.12) out.push({ kind: 'early' });
    else {
      const delta = emptyDelta(N);
      delta.ms[Math.floor(rnd() * N)] = Math.floor(rnd() * 2_000) - 500;
      if (rnd() < 0.3) delta.entries[Math.floor(rnd() * N)] = 1;
      if (rnd() < 0.2) delta.byReason = { [`r${Math.floor(rnd() * 3)}`]: Math.floor(rnd() * 1_000) };
      // Mostly around the watermark; some late within the lateness, some past it.
      const back =
        rnd() < 0.7
          ? -Math.floor(rnd() * 2 * MIN)
          : rnd() < 0.5
            ? lateness + Math.floor(rnd() * sizeOf(seed))
            : Math.floor(rnd() * (lateness + 3 * MIN));
      out.push({ kind: 'c', c: { key: `k${Math.floor(rnd() * 5)}`, ts: Math.max(0, wm - back), delta } });
    }
  }
  return out;
}

/** What a batch shows of a window: its newest version and figures. */
const shown = (key: string, start: number, version: number, final: boolean, d: Delta) =>
  JSON.stringify([
    key,
    start,
    version,
    final,
    d.ms,
    d.entries,
    Object.entries(d.byReason ?? {})
      .filter(([, v]) => v !== 0)
      .sort(),
  ]);

describe('WindowTable', () => {
  for (const [sizeMs, lateness, seed] of [
    [MIN, 5 * MIN, 1],
    [15 * MIN, 10 * MIN, 2],
    [MIN, 0, 3],
    [15 * MIN, 30 * MIN, 4],
    [MIN, 10 * MIN, 5],
  ] as const) {
    it(`emits what tumblingWindow emits, newest per batch, and keeps quiet the windows finished before (${sizeMs / MIN} min, lateness ${lateness / MIN} min, seed ${seed})`, () => {
      const steps = stream(seed, lateness);
      // The operator, as the state pipeline used it: newest emission per window per batch.
      const input = new Subject<StreamElement<C>>();
      const scheduler = new VirtualTimeScheduler();
      const late = new LateOutput<C>();
      const aggregate = {
        create: () => emptyDelta(N),
        add: (a: Delta, c: C) => addDelta(a, c.delta),
        merge: (a: Delta, b: Delta) => addDelta(a, b),
        result: (a: Delta) => addDelta(emptyDelta(N), a),
      };
      // A second table keeps quiet every window a watermark a third of the way in had put past its lateness.
      const quietThrough = (steps.filter((x) => x.kind === 'w') as { wm: number }[])[
        Math.floor(steps.filter((x) => x.kind === 'w').length / 3)
      ]!.wm;
      const isQuiet = (r: WindowResult<string, Delta>) => r.windowEnd - 1 + lateness <= quietThrough;
      let batch = new Map<string, string>();
      let quietBatch = new Map<string, string>();
      let silenced = 0;
      input
        .pipe(
          tumblingWindow({
            sizeMs,
            key: (c: C) => c.key,
            aggregate,
            allowedLatenessMs: lateness,
            late,
            earlyEveryMs: 1,
            scheduler,
            flushOnComplete: false,
          }),
        )
        .subscribe((r) => {
          const row = shown(r.key, r.windowStart, r.version, r.final, r.value);
          batch.set(`${r.key}|${r.windowStart}`, row);
          if (isQuiet(r)) silenced++;
          else quietBatch.set(`${r.key}|${r.windowStart}`, row);
        });
      // The tables.
      const table = new WindowTable(sizeMs, lateness, N);
      const quiet = new WindowTable(sizeMs, lateness, N, quietThrough);
      let quietOut: Emitted = [];
      let out: Emitted = [];
      const take = (emitted: Emitted) => {
        const m = new Map(emitted.map((s) => [`${s.key}|${s.start}`, shown(s.key, s.start, s.version, s.final, s.delta)]));
        for (const s of emitted) s.version = -1;
        return m;
      };
      let batches = 0;
      for (const s of steps) {
        if (s.kind === 'c') {
          input.next(event(s.c, s.c.ts));
          table.add(s.c.key, s.c.ts, s.c.delta, out);
          quiet.add(s.c.key, s.c.ts, s.c.delta, quietOut);
        } else if (s.kind === 'w') {
          input.next(watermark(s.wm));
          table.advance(s.wm, out);
          quiet.advance(s.wm, quietOut);
        } else {
          scheduler.maxFrames = scheduler.frame + 1;
          scheduler.flush();
          table.early(out);
          quiet.early(quietOut);
          expect(take(out)).toEqual(batch);
          expect(take(quietOut)).toEqual(quietBatch);
          out = [];
          quietOut = [];
          batch = new Map();
          quietBatch = new Map();
          batches++;
        }
      }
      expect(batches).toBeGreaterThan(20);
      expect(silenced).toBeGreaterThan(10);
      expect(table.late).toBe(late.count);
      expect(quiet.late).toBe(late.count);
      expect(late.count).toBeGreaterThan(0);
    });
  }
});
