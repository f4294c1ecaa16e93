/**
 * The figures of one entity over one window, in two shapes: {@link Delta}, arrays indexed like the
 * spec's states (what the engine and the window operators add up, cheaply, by the million), and
 * {@link StateFigures}, records keyed by state name (what rows carry).
 */

/** Time per state (ms), entries per state, and time of the reasoned state by reason code (ms). */
export interface StateFigures<S extends string> {
  ms: Record<S, number>;
  entries: Record<S, number>;
  byReason: Record<string, number>;
}

/**
 * Figures, or a correction to them (values may be negative: time moved to another state), as arrays
 * indexed like `TimelineSpec.states`. `byReason` is absent until a reasoned state gets time.
 */
export interface Delta {
  readonly ms: number[];
  readonly entries: number[];
  byReason?: Record<string, number>;
}

/** A zeroed {@link Delta} for `n` states. */
export function emptyDelta(n: number): Delta {
  return { ms: new Array<number>(n).fill(0), entries: new Array<number>(n).fill(0) };
}

/** Adds `sign × from` into `into`; returns `into`. */
export function addDelta(into: Delta, from: Delta, sign = 1): Delta {
  for (let i = 0; i < from.ms.length; i++) {
    into.ms[i] = (into.ms[i] as number) + sign * (from.ms[i] as number);
    into.entries[i] = (into.entries[i] as number) + sign * (from.entries[i] as number);
  }
  if (from.byReason) {
    const r = (into.byReason ??= {});
    for (const k in from.byReason) r[k] = (r[k] ?? 0) + sign * (from.byReason[k] as number);
  }
  return into;
}

/** True when a delta changes nothing. */
export function isZeroDelta(d: Delta): boolean {
  for (let i = 0; i < d.ms.length; i++) if (d.ms[i] !== 0 || d.entries[i] !== 0) return false;
  if (d.byReason) for (const k in d.byReason) if (d.byReason[k] !== 0) return false;
  return true;
}

/** The reasons of a delta that have time (those whose time cancelled out are dropped), as a new record. */
export function reasonsOf(d: Delta): Record<string, number> {
  const byReason: Record<string, number> = {};
  if (d.byReason) for (const k in d.byReason) if (d.byReason[k] !== 0) byReason[k] = d.byReason[k] as number;
  return byReason;
}

/** The delta as records keyed by state (reasons whose time cancelled out are dropped). */
export function toFigures<S extends string>(states: readonly S[], d: Delta): StateFigures<S> {
  const ms = {} as Record<S, number>;
  const entries = {} as Record<S, number>;
  states.forEach((s, i) => {
    ms[s] = d.ms[i] as number;
    entries[s] = d.entries[i] as number;
  });
  return { ms, entries, byReason: reasonsOf(d) };
}
