/**
 * The time-varying arrival rate of the traffic model: a daily profile of hourly weights times any
 * number of peaks (a ramp up to a multiplier, a plateau, a ramp down). Rates are calls per hour;
 * times are epoch ms; the profile's hours are local hours at a fixed UTC offset.
 */

/** One hour, ms. */
export const HOUR_MS = 3_600_000;
/** One day, ms. */
export const DAY_MS = 24 * HOUR_MS;

/** Every hour weighs 1: the rate is the configured calls per hour around the clock. */
export const FLAT_PROFILE: readonly number[] = Object.freeze(Array.from({ length: 24 }, () => 1));

/**
 * Hourly arrival weights of a bank's weekday (Sunday–Thursday), relative to its busiest hour
 * (10:00–11:00 = 1): the arrivals to the VRU per hour of the day in the "Anonymous Bank" call-center
 * data of Ilan Guedj and Avi Mandelbaum (Technion), October 1999, 21 weekdays. A test recomputes them
 * from the data.
 */
export const BANK_PROFILE: readonly number[] = Object.freeze([
  0.03, 0.01, 0.01, 0.01, 0.0, 0.01, 0.06, 0.31, 0.6, 0.92, 1.0, 0.81, 0.76, 0.77, 0.76, 0.8, 0.69, 0.54, 0.52, 0.48, 0.44, 0.45, 0.41,
  0.26,
]);

/** A surge of traffic: the rate ramps linearly from ×1 to ×`multiplier`, holds, and ramps back. */
export interface Peak {
  /** Where the ramp up begins, epoch ms. */
  readonly start: number;
  /** Whole length, ramps included, minutes (> 0). */
  readonly durationMinutes: number;
  /** Rate multiplier on the plateau (> 0; below 1 is a dip). */
  readonly multiplier: number;
  /** Length of each ramp, minutes (default 0: a step); at most half the duration. */
  readonly rampMinutes?: number;
}

/** A peak as the command line writes it, before it is placed on a day. */
export interface PeakSpec {
  readonly multiplier: number;
  /** Local start, minutes after midnight. */
  readonly minuteOfDay: number;
  readonly durationMinutes: number;
  readonly rampMinutes: number;
}

/**
 * Parses `3x@10:00+60m` (×3 from 10:00 for 60 minutes) or `3x@10:00+60m/15m` (with 15-minute ramps).
 * @throws RangeError naming what is wrong
 */
export function parsePeakSpec(spec: string): PeakSpec {
  const m = /^(\d+(?:\.\d+)?)x@([01]?\d|2[0-3]):([0-5]\d)\+(\d+)m(?:\/(\d+)m)?$/.exec(spec.trim());
  if (!m)
    throw new RangeError(
      `peak '${spec}' must look like 3x@10:00+60m or 3x@10:00+60m/15m (multiplier x @ HH:MM + minutes m [/ ramp minutes m])`,
    );
  const p: PeakSpec = {
    multiplier: Number(m[1]),
    minuteOfDay: Number(m[2]) * 60 + Number(m[3]),
    durationMinutes: Number(m[4]),
    rampMinutes: Number(m[5] ?? 0),
  };
  checkPeak({ start: 0, ...p }, `peak '${spec}'`);
  return p;
}

/**
 * Places a peak spec on the local day of `runStart`; a peak already over by then moves to the next day.
 * @param runStart epoch ms
 * @param utcOffsetMinutes local time minus UTC, minutes
 */
export function placePeak(spec: PeakSpec, runStart: number, utcOffsetMinutes: number): Peak {
  const off = utcOffsetMinutes * 60_000;
  let start = Math.floor((runStart + off) / DAY_MS) * DAY_MS - off + spec.minuteOfDay * 60_000;
  if (start + spec.durationMinutes * 60_000 <= runStart) start += DAY_MS;
  return { start, durationMinutes: spec.durationMinutes, multiplier: spec.multiplier, rampMinutes: spec.rampMinutes };
}

/** @throws RangeError when a peak's numbers are out of range */
export function checkPeak(p: Peak, name: string): void {
  if (!Number.isFinite(p.start)) throw new RangeError(`${name}.start must be an epoch ms`);
  if (!(p.durationMinutes > 0) || !Number.isFinite(p.durationMinutes)) throw new RangeError(`${name}.durationMinutes must be > 0`);
  if (!(p.multiplier > 0) || !Number.isFinite(p.multiplier)) throw new RangeError(`${name}.multiplier must be > 0`);
  const ramp = p.rampMinutes ?? 0;
  if (!(ramp >= 0) || ramp > p.durationMinutes / 2) throw new RangeError(`${name}.rampMinutes must be between 0 and half the duration`);
}

/** The plateau of a peak (ramps excluded), epoch ms [from, to). */
export function plateau(p: Peak): { from: number; to: number } {
  const ramp = (p.rampMinutes ?? 0) * 60_000;
  return { from: p.start + ramp, to: p.start + p.durationMinutes * 60_000 - ramp };
}

/** Multiplier of one peak at `t` (epoch ms). */
export function peakFactor(p: Peak, t: number): number {
  const end = p.start + p.durationMinutes * 60_000;
  if (t < p.start || t >= end) return 1;
  const ramp = (p.rampMinutes ?? 0) * 60_000;
  if (t < p.start + ramp) return 1 + ((p.multiplier - 1) * (t - p.start)) / ramp;
  if (t > end - ramp) return 1 + ((p.multiplier - 1) * (end - t)) / ramp;
  return p.multiplier;
}

/** λ(t) = calls per hour × profile weight of the local hour × the product of the peaks' factors. */
export class ArrivalRate {
  readonly #off: number;

  /**
   * @param callsPerHour rate at weight 1 with no peak, calls per hour
   * @param profile 24 hourly weights (≥ 0), local hours 0–23
   * @param peaks surges, each multiplying the rate while it lasts (overlapping peaks multiply)
   * @param utcOffsetMinutes local time minus UTC, minutes
   */
  constructor(
    readonly callsPerHour: number,
    readonly profile: readonly number[],
    readonly peaks: readonly Peak[],
    utcOffsetMinutes: number,
  ) {
    this.#off = utcOffsetMinutes * 60_000;
  }

  /** Base rate (profile only, no peaks) at `t`, calls per hour. */
  base(t: number): number {
    const hour = Math.floor(((((t + this.#off) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
    return this.callsPerHour * (this.profile[hour] ?? 0);
  }

  /** λ(t), calls per hour. */
  at(t: number): number {
    let r = this.base(t);
    for (const p of this.peaks) r *= peakFactor(p, t);
    return r;
  }

  /** An upper bound of λ over all time, calls per hour (for thinning). */
  max(): number {
    let m = this.callsPerHour * Math.max(0, ...this.profile);
    for (const p of this.peaks) m *= Math.max(1, p.multiplier);
    return m;
  }

  /** Expected arrivals in [from, to) (epoch ms): ∫λ, exact on each piece between hour and ramp corners. */
  expected(from: number, to: number): number {
    return this.#integrate(from, to, (t) => this.at(t));
  }

  /** Expected arrivals in [from, to) without the peaks. */
  expectedBase(from: number, to: number): number {
    return this.#integrate(from, to, (t) => this.base(t));
  }

  #integrate(from: number, to: number, f: (t: number) => number): number {
    if (!(to > from)) return 0;
    const cuts = new Set<number>([from, to]);
    const firstHour = Math.ceil((from + this.#off) / HOUR_MS) * HOUR_MS - this.#off;
    for (let t = firstHour; t < to; t += HOUR_MS) cuts.add(t);
    for (const p of this.peaks) {
      const ramp = (p.rampMinutes ?? 0) * 60_000;
      const end = p.start + p.durationMinutes * 60_000;
      for (const t of [p.start, p.start + ramp, end - ramp, end]) if (t > from && t < to) cuts.add(t);
    }
    const xs = [...cuts].sort((a, b) => a - b);
    let sum = 0;
    for (let i = 0; i + 1 < xs.length; i++) {
      const a = xs[i]!;
      const b = xs[i + 1]!;
      // Simpson on the open piece (the corners belong to the next piece): exact for products of ≤ 3 ramps.
      const e = Math.min(1, (b - a) / 1e6);
      const fa = f(a);
      const fb = f(b - e);
      sum += ((b - a) / 6) * (fa + 4 * f((a + b) / 2) + fb);
    }
    return sum / HOUR_MS;
  }
}
