/**
 * The figures of one entity over one window as a {@link Delta}: arrays indexed like the spec's states
 * (what the engine and the window table add up, cheaply, by the million). Rows carry them as records
 * keyed by state name (agent/rows.ts, extension/rows.ts).
 */

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
