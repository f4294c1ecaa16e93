import type { SluiceError } from '../../core/errors.js';
import { workflowError } from '../errors.js';

const DAY_MS = 86_400_000;
/** Weekday keys, index = JavaScript `getUTCDay()` (0 = Sunday). */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
/** A weekday key. */
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A business calendar as written in a flow definition.
 *
 * @example
 * { utcOffset: '+01:00', workingHours: { mon: ['09:00-12:00', '13:00-17:00'] }, holidays: ['2026-12-25'] }
 */
export interface CalendarSpec {
  /** Local time's fixed offset from UTC, `"+01:00"`, `"-05:30"` or `"Z"`; default UTC. */
  readonly utcOffset?: string;
  /** Working windows per weekday as `"HH:MM-HH:MM"` local time (end up to `24:00`); a missing day has none. */
  readonly workingHours: Readonly<Partial<Record<Weekday, readonly string[]>>>;
  /** Local dates (`YYYY-MM-DD`) with no working time. */
  readonly holidays?: readonly string[];
}

/** Counts and adds time that an SLA clock runs on. */
export interface WorkingTime {
  /**
   * The instant at which `durationMs` of working time has elapsed after `start`.
   * Adding 0 returns `start` itself, even outside working hours.
   *
   * @param start epoch ms
   * @param durationMs working time to add, ms ≥ 0
   */
  addWorkingTime(start: number, durationMs: number): number;
  /**
   * Working time in `[from, to)`, ms; 0 when `to <= from`.
   *
   * @param from epoch ms
   * @param to epoch ms
   */
  workingTimeBetween(from: number, to: number): number;
}

/** Round-the-clock time: every millisecond counts. */
export const continuousTime: WorkingTime = {
  addWorkingTime: (start, durationMs) => start + Math.max(0, durationMs),
  workingTimeBetween: (from, to) => Math.max(0, to - from),
};

type Window = readonly [start: number, end: number];

/** Weekday of local day number `day` (0 = Sunday; 1970-01-01 was a Thursday). */
function dayOfWeek(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

function invalid(path: string, message: string): SluiceError {
  return workflowError('SLUICE_ERR_CALENDAR_INVALID', `${path}: ${message}`);
}

function parseOffset(text: string | undefined, path: string): number {
  if (text === undefined || text === 'Z') return 0;
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) throw invalid(`${path}.utcOffset`, `"${text}" is not an offset like "+01:00"`);
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (minutes > 14 * 60 || Number(m[3]) > 59) throw invalid(`${path}.utcOffset`, `"${text}" is outside -14:00..+14:00`);
  return (m[1] === '-' ? -1 : 1) * minutes * 60_000;
}

function parseClock(text: string): number | undefined {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (min > 59 || h > 24 || (h === 24 && min > 0)) return undefined;
  return (h * 60 + min) * 60_000;
}

function parseWindows(list: readonly string[], path: string): Window[] {
  const windows = list.map((text, i): Window => {
    const [a, b, extra] = String(text).split('-');
    const start = a === undefined ? undefined : parseClock(a.trim());
    const end = b === undefined ? undefined : parseClock(b.trim());
    if (start === undefined || end === undefined || extra !== undefined) {
      throw invalid(`${path}[${i}]`, `"${text}" is not a window like "09:00-17:00"`);
    }
    if (end <= start) throw invalid(`${path}[${i}]`, `"${text}" ends before it starts (split a night shift over two days)`);
    return [start, end];
  });
  windows.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < windows.length; i++) {
    if ((windows[i] as Window)[0] < (windows[i - 1] as Window)[1]) throw invalid(path, 'working windows overlap');
  }
  return windows;
}

function parseHoliday(text: string, path: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const day = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || !Number.isFinite(day) || new Date(day).toISOString().slice(0, 10) !== text) {
    throw invalid(path, `"${text}" is not a date like "2026-12-25"`);
  }
  return day / DAY_MS;
}

/** Index of the first element of sorted `list` that is ≥ `value` (`list.length` when none). */
function lowerBound(list: readonly number[], value: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((list[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Working hours in one fixed-offset time zone, with holidays. Used by SLA clocks so a
 * 4-hour SLA opened on Friday at 16:00 falls due on Monday at 12:00.
 *
 * The arithmetic never walks day by day: whole weeks count as the week's working time, and
 * holidays are subtracted through a prefix sum over the sorted holiday list. Adding any
 * duration is a binary search over such counts, so it costs O(log(days) · log(holidays))
 * whatever the calendar (even one open an hour a week) and the duration.
 *
 * @example
 * const cal = new BusinessCalendar({ workingHours: { mon: ['09:00-17:00'] } });
 * cal.addWorkingTime(Date.parse('2026-01-05T16:00:00Z'), 2 * 3_600_000); // Monday 16:00 → next Monday 10:00
 */
export class BusinessCalendar implements WorkingTime {
  readonly #offset: number;
  readonly #week: readonly (readonly Window[])[];
  /** Working ms of each weekday (index = `getUTCDay()`), and of the whole week. */
  readonly #dayWork: readonly number[];
  readonly #weekWork: number;
  /** Holiday day numbers (days since 1970-01-01 local), sorted, unique. */
  readonly #holidays: readonly number[];
  readonly #holidaySet: ReadonlySet<number>;
  /** `#holidayWork[i]` = working ms the first `i` holidays would have had without being holidays. */
  readonly #holidayWork: readonly number[];

  /**
   * Validates the spec once; later calls never throw on input instants.
   *
   * @param spec the calendar as written
   * @param path where the calendar sits in the definition, named in errors
   * @throws SluiceError `SLUICE_ERR_CALENDAR_INVALID`
   */
  constructor(spec: CalendarSpec, path = 'calendar') {
    this.#offset = parseOffset(spec.utcOffset, path);
    const hours = spec.workingHours ?? {};
    for (const key of Object.keys(hours)) {
      if (!(WEEKDAYS as readonly string[]).includes(key))
        throw invalid(`${path}.workingHours.${key}`, `unknown weekday (use ${WEEKDAYS.join(', ')})`);
    }
    this.#week = WEEKDAYS.map((d) => parseWindows(hours[d] ?? [], `${path}.workingHours.${d}`));
    this.#dayWork = this.#week.map((windows) => windows.reduce((sum, [s, e]) => sum + (e - s), 0));
    this.#weekWork = this.#dayWork.reduce((a, b) => a + b, 0);
    if (this.#weekWork === 0) throw invalid(`${path}.workingHours`, 'no working time in the week');
    this.#holidaySet = new Set((spec.holidays ?? []).map((h, i) => parseHoliday(h, `${path}.holidays[${i}]`)));
    this.#holidays = [...this.#holidaySet].sort((a, b) => a - b);
    const prefix = [0];
    for (const day of this.#holidays) prefix.push((prefix[prefix.length - 1] as number) + (this.#dayWork[dayOfWeek(day)] as number));
    this.#holidayWork = prefix;
  }

  /** Working windows of local day number `day` (days since 1970-01-01 local), as epoch ms. */
  #windows(day: number): Window[] {
    if (this.#holidaySet.has(day)) return [];
    const base = day * DAY_MS - this.#offset;
    return (this.#week[dayOfWeek(day)] ?? []).map(([s, e]): Window => [base + s, base + e]);
  }

  #localDay(t: number): number {
    return Math.floor((t + this.#offset) / DAY_MS);
  }

  /** Working ms in the whole local days `[from, to)` (day numbers): weeks at once, holidays by prefix sum. */
  #workDays(from: number, to: number): number {
    if (to <= from) return 0;
    const weeks = Math.floor((to - from) / 7);
    let total = weeks * this.#weekWork;
    for (let day = from + weeks * 7; day < to; day++) total += this.#dayWork[dayOfWeek(day)] as number;
    return (
      total -
      ((this.#holidayWork[lowerBound(this.#holidays, to)] as number) - (this.#holidayWork[lowerBound(this.#holidays, from)] as number))
    );
  }

  /** Working ms of local day `day` inside `[from, to)`. */
  #workWithin(day: number, from: number, to: number): number {
    let total = 0;
    for (const [s, e] of this.#windows(day)) {
      const a = Math.max(s, from);
      const b = Math.min(e, to);
      if (b > a) total += b - a;
    }
    return total;
  }

  /** True when `t` (epoch ms) falls inside working time. */
  isWorking(t: number): boolean {
    return this.#windows(this.#localDay(t)).some(([s, e]) => t >= s && t < e);
  }

  addWorkingTime(start: number, durationMs: number): number {
    let remaining = Math.max(0, durationMs);
    if (remaining === 0 || !Number.isFinite(start)) return start;
    if (!Number.isFinite(remaining)) return Number.POSITIVE_INFINITY;
    // The rest of the start day, window by window; an exact fit ends at the window's close.
    const first = this.#localDay(start);
    for (const [s, e] of this.#windows(first)) {
      const from = Math.max(s, start);
      if (from >= e) continue;
      if (remaining <= e - from) return from + remaining;
      remaining -= e - from;
    }
    // The day on which the rest runs out: the fewest whole days after `first` holding it.
    // Past the last holiday every week holds `weekWork`, which bounds the search.
    const next = first + 1;
    const lastHoliday = this.#holidays[this.#holidays.length - 1] ?? Number.NEGATIVE_INFINITY;
    const calm = Math.max(next, lastHoliday + 1);
    let lo = 0;
    let hi = calm - next + 7 * Math.ceil(remaining / this.#weekWork);
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (this.#workDays(next, next + mid) >= remaining) hi = mid;
      else lo = mid;
    }
    const day = next + hi - 1;
    remaining -= this.#workDays(next, day);
    for (const [s, e] of this.#windows(day)) {
      if (remaining <= e - s) return s + remaining;
      remaining -= e - s;
    }
    // Unreachable: the search picked the first day whose working time holds the rest.
    throw new Error(`calendar arithmetic lost ${remaining} ms after ${start}`);
  }

  workingTimeBetween(from: number, to: number): number {
    if (!(to > from)) return 0;
    const a = this.#localDay(from);
    const b = this.#localDay(to);
    if (a === b) return this.#workWithin(a, from, to);
    return this.#workWithin(a, from, to) + this.#workDays(a + 1, b) + this.#workWithin(b, from, to);
  }
}
