import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkShift, hhmm, shiftWindowAt } from './calendar.js';
import { ArrivalRate, BANK_PROFILE, DAY_MS, FLAT_PROFILE, HOUR_MS, parsePeakSpec, peakFactor, placePeak } from './profile.js';
import { lognormal, lognormalParams, rngFor, streamSeed } from './random.js';

const T0 = Date.UTC(2026, 0, 12);

describe('peaks', () => {
  it('parses the command-line form, with and without ramps', () => {
    expect(parsePeakSpec('3x@10:00+60m')).toEqual({ multiplier: 3, minuteOfDay: 600, durationMinutes: 60, rampMinutes: 0 });
    expect(parsePeakSpec('2.5x@7:30+90m/15m')).toEqual({ multiplier: 2.5, minuteOfDay: 450, durationMinutes: 90, rampMinutes: 15 });
    for (const bad of ['3@10:00+60m', '3x@24:00+60m', '3x@10:00+0m', '3x@10:00+60m/31m', '3x@10:00'])
      expect(() => parsePeakSpec(bad)).toThrow(RangeError);
  });

  it('places a peak on the run day, or the next day when it is already over', () => {
    const spec = parsePeakSpec('3x@10:00+60m');
    expect(placePeak(spec, T0 + 9 * HOUR_MS, 0).start).toBe(T0 + 10 * HOUR_MS);
    expect(placePeak(spec, T0 + 10.5 * HOUR_MS, 0).start).toBe(T0 + 10 * HOUR_MS); // in progress
    expect(placePeak(spec, T0 + 12 * HOUR_MS, 0).start).toBe(T0 + DAY_MS + 10 * HOUR_MS);
    expect(placePeak(spec, T0 + 7 * HOUR_MS, 120).start).toBe(T0 + 8 * HOUR_MS); // 10:00 at UTC+2 is 08:00 UTC
  });

  it('ramps linearly up to the multiplier, holds it, and ramps back down', () => {
    const p = { start: T0, durationMinutes: 60, multiplier: 3, rampMinutes: 15 };
    const at = (min: number) => peakFactor(p, T0 + min * 60_000);
    expect([at(-1), at(0), at(7.5), at(15), at(30), at(45), at(52.5), at(60)]).toEqual([1, 1, 2, 3, 3, 3, 2, 1]);
  });
});

describe('ArrivalRate', () => {
  it('integrates exactly: the expected count equals a fine Riemann sum, for any peak layout', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 600 }),
            dur: fc.integer({ min: 2, max: 240 }),
            mult: fc.double({ min: 0.2, max: 5, noNaN: true }),
            rampShare: fc.double({ min: 0, max: 0.5, noNaN: true }),
          }),
          { maxLength: 3 },
        ),
        fc.integer({ min: 0, max: 23 }),
        (peaks, fromHour) => {
          const rate = new ArrivalRate(
            120,
            BANK_PROFILE,
            peaks.map((p) => ({
              start: T0 + p.at * 60_000,
              durationMinutes: p.dur,
              multiplier: p.mult,
              rampMinutes: Math.floor(p.dur * p.rampShare),
            })),
            0,
          );
          const from = T0 + fromHour * HOUR_MS + 123_456;
          const to = from + 9 * HOUR_MS;
          let riemann = 0;
          const step = 5_000;
          for (let t = from; t < to; t += step) riemann += (rate.at(t + step / 2) * step) / HOUR_MS;
          expect(rate.expected(from, to)).toBeCloseTo(riemann, 0);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('bounds the rate from above everywhere (thinning needs it)', () => {
    const rate = new ArrivalRate(
      100,
      BANK_PROFILE,
      [
        { start: T0 + 10 * HOUR_MS, durationMinutes: 60, multiplier: 3 },
        { start: T0 + 10 * HOUR_MS, durationMinutes: 30, multiplier: 0.5 },
      ],
      0,
    );
    for (let t = T0; t < T0 + DAY_MS; t += 60_000) expect(rate.at(t)).toBeLessThanOrEqual(rate.max());
    expect(new ArrivalRate(50, FLAT_PROFILE, [], 0).expected(T0, T0 + 2 * HOUR_MS)).toBeCloseTo(100, 9);
  });
});

describe('shifts', () => {
  it('finds the occurrence containing a time, or the next one, overnight shifts included', () => {
    const night = {
      startMinute: hhmm('22:00'),
      endMinute: hhmm('22:00') + 480,
      breaks: [{ atMinute: hhmm('02:00'), minutes: 30, reason: 'lunch' }],
    };
    checkShift(night, 'night');
    const w = shiftWindowAt(night, T0 + HOUR_MS, 0); // 01:00 on the 12th: inside the shift that began on the 11th
    expect([w.start, w.end]).toEqual([T0 - 2 * HOUR_MS, T0 + 6 * HOUR_MS]);
    expect(w.breaks).toEqual([{ start: T0 + 2 * HOUR_MS, ms: 30 * 60_000, reason: 'lunch' }]);
    expect(shiftWindowAt(night, T0 + 7 * HOUR_MS, 0).start).toBe(T0 + 22 * HOUR_MS);
    expect(shiftWindowAt(night, T0 + 7 * HOUR_MS, 60).start).toBe(T0 + 21 * HOUR_MS);
  });

  it('refuses inconsistent shifts with the field named', () => {
    expect(() => checkShift({ startMinute: 480, endMinute: 480 }, 's')).toThrow(/s\.endMinute/);
    expect(() => checkShift({ startMinute: 480, endMinute: 960, breaks: [{ atMinute: 900, minutes: 90, reason: 'x' }] }, 's')).toThrow(
      /s\.breaks\[0\]/,
    );
    expect(() => hhmm('25:00')).toThrow(RangeError);
  });
});

describe('random streams', () => {
  it('derive unrelated streams from one seed and reproduce each', () => {
    expect(streamSeed(1, 'a/sales')).not.toBe(streamSeed(1, 'a/support'));
    expect(streamSeed(1, 'a/sales')).not.toBe(streamSeed(2, 'a/sales'));
    const a = rngFor(5, 'x');
    const b = rngFor(5, 'x');
    expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  });

  it('draw lognormals with the requested mean and coefficient of variation', () => {
    expect(lognormalParams(100, 0)).toEqual({ mu: Math.log(100), sigma: 0 });
    const rng = rngFor(9, 'lognormal');
    const xs = Array.from({ length: 40_000 }, () => lognormal(rng, 200, 0.6));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeGreaterThan(197);
    expect(mean).toBeLessThan(203);
    expect(sd / mean).toBeGreaterThan(0.57);
    expect(sd / mean).toBeLessThan(0.63);
    expect(xs.every((x) => x > 0)).toBe(true);
  });
});
