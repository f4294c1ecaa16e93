import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WORKFLOW_LIMITS } from '../limits.js';
import { BusinessCalendar, WEEKDAYS, type CalendarSpec } from './calendar.js';

const DAY = 86_400_000;
const H = 3_600_000;
const MIN = 60_000;

/** A calendar as plain numbers: what the generator draws and the reference walks. */
interface Model {
  /** UTC offset, minutes. */
  readonly offset: number;
  /** Working windows per weekday (0 = Sunday), minutes since local midnight, sorted, disjoint. */
  readonly week: readonly (readonly [number, number])[][];
  /** Holidays as local day numbers. */
  readonly holidays: readonly number[];
}

const pad = (n: number): string => String(n).padStart(2, '0');
const clock = (min: number): string => `${pad(Math.floor(min / 60))}:${pad(min % 60)}`;

function specOf(m: Model): CalendarSpec {
  const sign = m.offset < 0 ? '-' : '+';
  const abs = Math.abs(m.offset);
  const workingHours: Record<string, string[]> = {};
  m.week.forEach((windows, dow) => {
    if (windows.length > 0) workingHours[WEEKDAYS[dow] as string] = windows.map(([s, e]) => `${clock(s)}-${clock(e)}`);
  });
  return {
    utcOffset: `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`,
    workingHours,
    holidays: m.holidays.map((d) => new Date(d * DAY).toISOString().slice(0, 10)),
  };
}

/**
 * The arithmetic as it was before weeks were jumped: walk local day after local day. Kept
 * here, independent of the implementation, as the definition the fast one must agree with.
 */
function reference(m: Model): { add(start: number, ms: number): number; between(from: number, to: number): number } {
  const offset = m.offset * MIN;
  const holidays = new Set(m.holidays);
  const windows = (day: number): [number, number][] => {
    if (holidays.has(day)) return [];
    const dow = (((day + 4) % 7) + 7) % 7;
    const base = day * DAY - offset;
    return (m.week[dow] ?? []).map(([s, e]): [number, number] => [base + s * MIN, base + e * MIN]);
  };
  const localDay = (t: number): number => Math.floor((t + offset) / DAY);
  return {
    add(start, durationMs) {
      let remaining = Math.max(0, durationMs);
      if (remaining === 0) return start;
      for (let day = localDay(start); ; day++) {
        for (const [s, e] of windows(day)) {
          const from = Math.max(s, start);
          if (from >= e) continue;
          if (remaining <= e - from) return from + remaining;
          remaining -= e - from;
        }
      }
    },
    between(from, to) {
      if (to <= from) return 0;
      let total = 0;
      for (let day = localDay(from); day <= localDay(to); day++) {
        for (const [s, e] of windows(day)) {
          const a = Math.max(s, from);
          const b = Math.min(e, to);
          if (b > a) total += b - a;
        }
      }
      return total;
    },
  };
}

const FROM = Date.UTC(2025, 0, 1);
const TO = Date.UTC(2027, 11, 31);

/** One weekday: mostly closed (sparse calendars), else up to three windows on minute boundaries. */
const dayArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant([] as [number, number][]) },
  {
    weight: 2,
    arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 1440 }), { minLength: 2, maxLength: 6 }).map((points) => {
      const sorted = [...points].sort((a, b) => a - b);
      const out: [number, number][] = [];
      for (let i = 0; i + 1 < sorted.length; i += 2) out.push([sorted[i] as number, sorted[i + 1] as number]);
      return out;
    }),
  },
);

const modelArb: fc.Arbitrary<Model> = fc
  .record({
    offset: fc.integer({ min: -56, max: 56 }).map((q) => q * 15),
    week: fc.array(dayArb, { minLength: 7, maxLength: 7 }),
    holidays: fc.uniqueArray(fc.integer({ min: FROM / DAY, max: TO / DAY }), { maxLength: 40 }),
  })
  .map((m) =>
    m.week.some((d) => d.length > 0) ? m : { ...m, week: m.week.map((d, i) => (i === 1 ? [[540, 600] as [number, number]] : d)) },
  );

/** Instants on minute boundaries most of the time (so window edges are hit), else any ms. */
const instantArb = fc.oneof(
  fc.integer({ min: FROM / MIN, max: TO / MIN }).map((m) => m * MIN),
  fc.integer({ min: FROM, max: TO }),
);
const durationArb = fc.oneof(
  fc.integer({ min: 0, max: 60 * 24 * 20 }).map((m) => m * MIN),
  fc.integer({ min: 0, max: 30 * DAY }),
);

describe('BusinessCalendar arithmetic against the day-walking reference', () => {
  it('adds working time exactly as walking day by day does (property)', () => {
    fc.assert(
      fc.property(modelArb, instantArb, durationArb, (model, start, duration) => {
        const fast = new BusinessCalendar(specOf(model));
        expect(fast.addWorkingTime(start, duration)).toBe(reference(model).add(start, duration));
      }),
      { numRuns: 300 },
    );
  });

  it('counts working time between two instants exactly as walking day by day does (property)', () => {
    fc.assert(
      fc.property(modelArb, instantArb, instantArb, (model, a, b) => {
        const fast = new BusinessCalendar(specOf(model));
        expect(fast.workingTimeBetween(a, b)).toBe(reference(model).between(a, b));
        expect(fast.workingTimeBetween(b, a)).toBe(reference(model).between(b, a));
      }),
      { numRuns: 300 },
    );
  });
});

describe('BusinessCalendar at the largest SLA', () => {
  /** Open one hour a week: Mondays 09:00–10:00 UTC. */
  const hourAWeek: CalendarSpec = { workingHours: { mon: ['09:00-10:00'] } };
  const monday = Date.UTC(2026, 0, 5);
  const WEEK = 7 * DAY;

  it('adds the maximum SLA duration on a calendar open one hour a week: 8,760 weeks later', () => {
    const hours = WORKFLOW_LIMITS.maxDurationMs / H;
    expect(hours).toBe(8760);
    const due = new BusinessCalendar(hourAWeek).addWorkingTime(monday, WORKFLOW_LIMITS.maxDurationMs);
    expect(due).toBe(monday + (hours - 1) * WEEK + 10 * H);
  });

  it('skips holidays met on the way, however far out', () => {
    const holidays = ['2026-01-12', '2100-06-07', '2150-03-02'].filter((d) => new Date(`${d}T00:00:00Z`).getUTCDay() === 1);
    expect(holidays).toHaveLength(3);
    const due = new BusinessCalendar({ ...hourAWeek, holidays }).addWorkingTime(monday, WORKFLOW_LIMITS.maxDurationMs);
    expect(due).toBe(monday + (8760 - 1 + 3) * WEEK + 10 * H);
  });

  it('counts the working time of centuries as whole weeks', () => {
    const cal = new BusinessCalendar(hourAWeek);
    expect(cal.workingTimeBetween(monday, monday + 100_000 * WEEK)).toBe(100_000 * H);
    expect(cal.workingTimeBetween(monday, cal.addWorkingTime(monday, 123_456 * H))).toBe(123_456 * H);
  });
});
