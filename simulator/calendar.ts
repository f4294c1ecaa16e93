/**
 * Agents' working time: daily shifts with breaks, given in local minutes after midnight and repeated
 * every day; turned into epoch-ms occurrences at a fixed UTC offset.
 */
import { DAY_MS } from './profile.js';

/** A scheduled break inside a shift. */
export interface BreakConfig {
  /** Local start, minutes after midnight (0–1439); an hour before the shift's start means the next day. */
  readonly atMinute: number;
  /** Length, minutes (> 0). */
  readonly minutes: number;
  /** AUX reason code reported while on it, e.g. `break`, `lunch`, `meeting`. */
  readonly reason: string;
}

/** A daily shift: logged in from `startMinute` to `endMinute`, local minutes after midnight. */
export interface ShiftConfig {
  /** 0–1439. */
  readonly startMinute: number;
  /** After the start, at most 1440 minutes later (values past 1440 run into the next day). */
  readonly endMinute: number;
  readonly breaks?: readonly BreakConfig[];
}

/** One occurrence of a shift, epoch ms. */
export interface ShiftWindow {
  readonly start: number;
  readonly end: number;
  /** Breaks in this occurrence, in start order. */
  readonly breaks: readonly { readonly start: number; readonly ms: number; readonly reason: string }[];
}

/** Minutes after midnight of `HH:MM` (e.g. `hhmm('08:30')` is 510). @throws RangeError */
export function hhmm(text: string): number {
  const m = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new RangeError(`'${text}' is not a time of day HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** True when the shift covers the whole day: the agent never logs out. */
export function isAllDay(s: ShiftConfig): boolean {
  return s.endMinute - s.startMinute >= 1440;
}

/** @throws RangeError naming the field when a shift is inconsistent */
export function checkShift(s: ShiftConfig, name: string): void {
  const whole = (v: number) => Number.isInteger(v) && v >= 0;
  if (!whole(s.startMinute) || s.startMinute >= 1440) throw new RangeError(`${name}.startMinute must be a whole minute in 0–1439`);
  if (!whole(s.endMinute) || s.endMinute <= s.startMinute || s.endMinute > s.startMinute + 1440) {
    throw new RangeError(`${name}.endMinute must be after startMinute and at most 1440 minutes later`);
  }
  (s.breaks ?? []).forEach((b, i) => {
    const at = breakOffset(s, b);
    if (!whole(b.atMinute) || b.atMinute >= 1440) throw new RangeError(`${name}.breaks[${i}].atMinute must be a whole minute in 0–1439`);
    if (!(b.minutes > 0)) throw new RangeError(`${name}.breaks[${i}].minutes must be > 0`);
    if (at < 0 || at + b.minutes > s.endMinute - s.startMinute) throw new RangeError(`${name}.breaks[${i}] must lie inside the shift`);
    if (typeof b.reason !== 'string' || b.reason.length === 0 || b.reason.length > 64)
      throw new RangeError(`${name}.breaks[${i}].reason must be 1–64 characters`);
  });
}

/** Minutes from the shift's start to the break's start. */
function breakOffset(s: ShiftConfig, b: BreakConfig): number {
  return (((b.atMinute - s.startMinute) % 1440) + 1440) % 1440;
}

/**
 * The occurrence of `shift` that contains `t`, or else the first one that starts after `t`.
 * @param t epoch ms
 * @param utcOffsetMinutes local time minus UTC, minutes
 */
export function shiftWindowAt(shift: ShiftConfig, t: number, utcOffsetMinutes: number): ShiftWindow {
  const off = utcOffsetMinutes * 60_000;
  const today = Math.floor((t + off) / DAY_MS) * DAY_MS - off;
  for (const day of [today - DAY_MS, today, today + DAY_MS]) {
    const start = day + shift.startMinute * 60_000;
    const end = day + shift.endMinute * 60_000;
    if (end > t) {
      const breaks = (shift.breaks ?? [])
        .map((b) => ({ start: start + breakOffset(shift, b) * 60_000, ms: b.minutes * 60_000, reason: b.reason }))
        .sort((a, b) => a.start - b.start);
      return { start, end, breaks };
    }
  }
  throw new Error('unreachable: a shift occurs every day');
}
