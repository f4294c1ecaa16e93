import { Subject, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { event, LateOutput, tumblingWindow, watermark, type StreamElement, type WindowResult } from '../../operators/index.js';
import { addDelta, emptyDelta, type Delta } from './figures.js';
import { WindowTable, type Emitted } from './window-table.js';

const N = 3;
const MIN = 60_000;
const SEAL = 2 ** 52;
interface C {
  key: string;
  ts: number;
  delta: Delta;
}

const sizeOf = (seed: number) => (seed % 2 === 0 ? 15 * MIN : MIN);

/** A seeded stream of batches: corrections (some late, some past the lateness), watermarks, early calls. */
function stream(seed: number, lateness: number): ({ kind: 'c'; c: C } | { kind: 'w'; wm: number } | { kind: 'early' })[] {
  let x = seed;
  const rnd = () => ((x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
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
      const back = rnd() < 0.7 ? -Math.floor(rnd() * 2 * MIN) : rnd() < 0.5 ? lateness + Math.floor(rnd() * sizeOf(seed)) : Math.floor(rnd() * (lateness + 3 * MIN));
      out.push({ kind: 'c', c: { key: `k${Math.floor(rnd() * 5)}`, ts: Math.max(0, wm - back), delta } });
    }
  }
  return out;
}

/** What a batch shows of a window: its newest version and figures. */
const shown = (key: string, start: number, version: number, final: boolean, d: Delta) =>
  JSON.stringify([key, start, version, final, d.ms, d.entries, Object.entries(d.byReason ?? {}).filter(([, v]) => v !== 0).sort()]);

describe('WindowTable', () => {
  for (const [sizeMs, lateness, seed] of [[MIN, 5 * MIN, 1], [15 * MIN, 10 * MIN, 2], [MIN, 0, 3], [15 * MIN, 30 * MIN, 4], [MIN, 10 * MIN, 5]] as const) {
    it(`emits what tumblingWindow emits, newest per batch, and seals each window once past its lateness (${sizeMs / MIN} min, lateness ${lateness / MIN} min, seed ${seed})`, () => {
      const steps = stream(seed, lateness);
      // The operator, as the state pipeline used it: newest emission per window per batch.
      const input = new Subject<StreamElement<C>>();
      const scheduler = new VirtualTimeScheduler();
      const late = new LateOutput<C>();
      const aggregate = { create: () => emptyDelta(N), add: (a: Delta, c: C) => addDelta(a, c.delta), merge: (a: Delta, b: Delta) => addDelta(a, b), result: (a: Delta) => addDelta(emptyDelta(N), a) };
      let batch = new Map<string, string>();
      const last = new Map<string, WindowResult<string, Delta>>();
      const sealed: string[] = [];
      input.pipe(tumblingWindow({ sizeMs, key: (c: C) => c.key, aggregate, allowedLatenessMs: lateness, late, earlyEveryMs: 1, scheduler, flushOnComplete: false })).subscribe((r) => {
        batch.set(`${r.key}|${r.windowStart}`, shown(r.key, r.windowStart, r.version, r.final, r.value));
        last.set(`${r.key}|${r.windowStart}`, r);
      });
      // The table.
      const table = new WindowTable(sizeMs, lateness, N);
      let out: Emitted = [];
      const tableBatch = () => {
        const m = new Map(out.map((s) => [`${s.key}|${s.start}`, shown(s.key, s.start, s.version, s.final, s.delta)]));
        for (const s of out) s.version = -1;
        out = [];
        return m;
      };
      let batches = 0;
      for (const s of steps) {
        if (s.kind === 'c') {
          input.next(event(s.c, s.c.ts));
          table.add(s.c.key, s.c.ts, s.c.delta, out);
        } else if (s.kind === 'w') {
          input.next(watermark(s.wm));
          table.advance(s.wm, SEAL, out);
          // The seals the state pipeline made: every window emitted so far whose end − 1 + lateness the watermark reached.
          for (const [k, r] of [...last]) {
            if (r.windowEnd - 1 + lateness <= s.wm) {
              batch.set(k, shown(r.key, r.windowStart, SEAL, true, r.value));
              sealed.push(k);
              last.delete(k);
            }
          }
        } else {
          scheduler.maxFrames = scheduler.frame + 1;
          scheduler.flush();
          table.early(out);
          expect(tableBatch()).toEqual(batch);
          batch = new Map();
          batches++;
        }
      }
      expect(batches).toBeGreaterThan(20);
      expect(sealed.length).toBeGreaterThan(10);
      expect(table.late).toBe(late.count);
      expect(late.count).toBeGreaterThan(0);
    });
  }
});
