import { Observable } from 'rxjs';
import type { EventElement } from '../../operators/index.js';

/** One benchmark event: a keyed measurement. */
export interface Measurement {
  readonly key: string;
  /** A latency-like value, ms. */
  readonly latencyMs: number;
}

/** Shape of a synthetic workload. */
export interface Workload {
  /** Events to generate. */
  readonly events: number;
  /** Distinct keys. */
  readonly keys: number;
  /** Tumbling window length, ms. */
  readonly windowMs: number;
  /** Average events per key per window; sets the event-time span (density is what costs). */
  readonly eventsPerKeyWindow: number;
  /** Events arrive up to this much behind the newest, ms (within the watermark bound). */
  readonly jitterMs: number;
  /** PRNG seed. */
  readonly seed: number;
}

/** Event-time span of a workload, ms. */
export function spanMs(w: Workload): number {
  return Math.round((w.events / (w.keys * w.eventsPerKeyWindow)) * w.windowMs);
}

/**
 * A cold, synchronous source of `w.events` events: keys uniform, latencies
 * log-normal-ish (20 ms … ~6 s), event time increasing with bounded jitter.
 * Deterministic for a seed; generated on the fly (one element object per event,
 * the same cost for every pipeline fed from it). `onTick(i)` runs every 65 536 events.
 */
export function source(w: Workload, onTick?: (i: number) => void): Observable<EventElement<Measurement>> {
  const keys = Array.from({ length: w.keys }, (_, i) => `k${i}`);
  const span = spanMs(w);
  const t0 = 1_700_000_000_000;
  return new Observable<EventElement<Measurement>>((sub) => {
    let x = w.seed | 0 || 1;
    const n = w.events;
    for (let i = 0; i < n && !sub.closed; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const r = (x >>> 0) / 4294967296;
      const key = keys[(x >>> 0) % w.keys] as string;
      const jitter = ((x >>> 7) & 0xffff) / 65536;
      const ts = t0 + Math.floor((i * span) / n) - Math.floor(jitter * w.jitterMs);
      const latencyMs = 20 + Math.floor(Math.exp(r * r * 8.7));
      sub.next({ kind: 'event', ts, value: { key, latencyMs } });
      if ((i & 0xffff) === 0 && onTick) onTick(i);
    }
    sub.complete();
  });
}
