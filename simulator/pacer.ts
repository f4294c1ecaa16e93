/**
 * Plays a stream of events into a sink at a chosen speed: in real time (×1), accelerated (×N: an
 * hour of event time in 60/N minutes of wall time) or as fast as the sink takes them. Time comes
 * from the injected clock; the stream is pulled lazily, one batch at a time.
 */
import type { Clock } from '../adapters/clock.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import type { TrafficSink } from './sinks.js';

/** Options of {@link pace}. */
export interface PaceOptions {
  readonly clock: Clock;
  /** Event time per wall time (1 = real time, 60 = an hour a minute), or `max` for no waiting. */
  readonly speed: number | 'max';
  /** Largest batch handed to the sink (default 500). */
  readonly batchSize?: number;
  /** Called after each batch the sink accepted. */
  readonly onBatch?: (sent: number, lastTs: number) => void;
  /** Stops the playback after the batch in flight. */
  readonly signal?: AbortSignal;
  /**
   * Event time (epoch ms) that plays at the wall start, timed mode only (default: the first event's). Events before
   * it are a history: sent at once, as fast as the sink takes them, before the playback goes on at `speed`.
   */
  readonly origin?: number;
}

/** What a playback did. */
export interface PaceStats {
  readonly events: number;
  readonly batches: number;
  /** Event time of the first and last event sent, epoch ms (null when none). */
  readonly firstTs: number | null;
  readonly lastTs: number | null;
  /** Wall time spent, ms (by the clock). */
  readonly wallMs: number;
}

/**
 * Sends `events` to `sink`. In timed mode an event is due at wall start + (ts − first ts) / speed;
 * the events due together go in one batch (at most `batchSize`), and the pacer sleeps until the
 * next is due. A sink error stops the playback and is thrown.
 */
export async function pace(
  events: Iterable<TelemetryEvent> | AsyncIterable<TelemetryEvent>,
  sink: TrafficSink,
  o: PaceOptions,
): Promise<PaceStats> {
  const batchSize = o.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a whole number ≥ 1');
  if (o.speed !== 'max' && !(o.speed > 0 && Number.isFinite(o.speed)))
    throw new RangeError(`speed must be > 0 or 'max', got ${String(o.speed)}`);
  const { clock } = o;
  const wallStart = clock.now();
  let firstTs: number | null = null;
  let lastTs: number | null = null;
  let sent = 0;
  let batchCount = 0;
  let batch: TelemetryEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const out = batch;
    batch = [];
    await sink.send(out);
    sent += out.length;
    batchCount++;
    lastTs = out[out.length - 1]!.ts;
    o.onBatch?.(sent, lastTs);
  };
  // A wait ends early when the playback is aborted, so stopping never waits for the next event.
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        o.signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        clock.clearTimeout(timer);
        done();
      };
      const timer = clock.setTimeout(done, ms);
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  for await (const e of events) {
    if (o.signal?.aborted) break;
    firstTs ??= e.ts;
    if (o.speed !== 'max') {
      const due = wallStart + (e.ts - (o.origin ?? firstTs)) / o.speed;
      if (due > clock.now()) {
        await flush();
        const wait = due - clock.now();
        if (wait > 0) await sleep(wait);
        if (o.signal?.aborted) break;
      }
    }
    batch.push(e);
    if (batch.length >= batchSize) await flush();
  }
  if (!o.signal?.aborted) await flush();
  return { events: sent, batches: batchCount, firstTs, lastTs, wallMs: clock.now() - wallStart };
}
