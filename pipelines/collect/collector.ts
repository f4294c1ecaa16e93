/**
 * A live collector: lines of a PBX log as they are written (a {@link LineSource}, e.g. `adapters/file/follow.ts`)
 * decoded into normalized events and published (a {@link CollectorSink}: Sluice's HTTP ingest or Kafka), the
 * position saved after each batch is published. Restarted, it goes on from the saved position; the lines of
 * the batch that was in flight are published again with the same ids (an event's id is a hash of the file's
 * identity, the line's byte offset and the line), so the pipeline's dedup stores them once.
 */
import type { Clock } from '../../adapters/clock.js';
import type { Decoder, DecodeFailure } from '../decoders/types.js';
import type { TelemetryEvent } from '../events/types.js';

/** One complete line of the followed file. */
export interface SourceLine<P> {
  readonly text: string;
  /** Byte offset of the line in its file. */
  readonly offset: number;
  /** The file's identity (stable through rotation and restart). */
  readonly fileId: string;
  /** The position after this line, to save once its events are published. */
  readonly after: P;
}

/** Where lines come from. */
export interface LineSource<P> {
  /** Complete lines readable now, at most `max`, in order; empty when there are none yet. */
  read(max: number): Promise<readonly SourceLine<P>[]>;
}

/** Where events go; resolves once the destination took them (accepted or refused with a reason). */
export interface CollectorSink {
  send(events: TelemetryEvent[]): Promise<void>;
}

/** Where the position is kept. */
export interface PositionStore<P> {
  save(position: P): Promise<void>;
}

/** A line the decoder refused, for the collector's own dead-letter file. */
export interface CollectorRejection {
  readonly fileId: string;
  readonly offset: number;
  readonly code: string;
  readonly reason: string;
  readonly line: string;
}

/** What a collector did so far. */
export interface CollectorCounts {
  /** Lines read (blank ones included). */
  lines: number;
  /** Events published. */
  events: number;
  /** Lines ignored on purpose (informational records, a dialplan's own lines). */
  ignored: number;
  /** Lines the decoder refused (each handed to `onRejected`). */
  rejected: number;
  /** Batches published. */
  batches: number;
  /** Times publishing failed and was tried again. */
  retries: number;
}

/** Options of {@link Collector}. */
export interface CollectorOptions<P> {
  readonly source: LineSource<P>;
  readonly decoder: Decoder;
  readonly sink: CollectorSink;
  readonly positions: PositionStore<P>;
  readonly clock: Clock;
  /** Tenant of formats that carry none. */
  readonly tenant: string;
  /** Events per batch (default 500); a line's events are never split across batches. */
  readonly batchSize?: number;
  /** Told of each refused line (the CLI appends it to a dead-letter file). */
  readonly onRejected?: (r: CollectorRejection) => Promise<void> | void;
  /** Whether a publishing error is worth retrying (default: always); a false ends {@link run} with it. */
  readonly retriable?: (err: unknown) => boolean;
  /** Told of each failed attempt before the retry. */
  readonly onRetry?: (err: unknown, waitMs: number) => void;
  /** First wait after a failed publish, ms (default 500), doubled up to `maxBackoffMs` (default 30 000). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** Decodes, publishes and checkpoints; see the module comment. */
export class Collector<P> {
  readonly counts: CollectorCounts = { lines: 0, events: 0, ignored: 0, rejected: 0, batches: 0, retries: 0 };
  readonly #o: CollectorOptions<P>;
  readonly #batch: number;
  #stopped = false;
  #wake: (() => void) | undefined;

  /** @throws RangeError when `batchSize` is not 1–5000 */
  constructor(o: CollectorOptions<P>) {
    const batch = o.batchSize ?? 500;
    if (!Number.isInteger(batch) || batch < 1 || batch > 5000)
      throw new RangeError(`batchSize must be a whole number in 1–5000, got ${batch}`);
    this.#o = o;
    this.#batch = batch;
  }

  /**
   * Reads every line available now, publishes its events in batches and saves the position after each;
   * returns the number of lines read (0: nothing new). Publishing is retried with a doubling backoff until
   * it succeeds, the error is not retriable (thrown), or {@link stop} is called (the batch stays unsaved).
   */
  async drain(): Promise<number> {
    let read = 0;
    for (;;) {
      if (this.#stopped) return read;
      const lines = await this.#o.source.read(this.#batch);
      if (lines.length === 0) return read;
      read += lines.length;
      let events: TelemetryEvent[] = [];
      let last: SourceLine<P> | undefined;
      for (const line of lines) {
        this.counts.lines++;
        const items = this.#o.decoder.decode(line.text, {
          tenant: this.#o.tenant,
          now: this.#o.clock.now(),
          idSalt: `${line.fileId}:${line.offset}`,
        });
        for (const item of items) {
          if (item.ok === true) events.push(item.event);
          else if (item.ok === 'ignored') this.counts.ignored++;
          else await this.#reject(line, item);
        }
        last = line;
        if (events.length >= this.#batch) {
          if (!(await this.#publish(events, last.after))) return read;
          events = [];
        }
      }
      if (last && !(await this.#publish(events, last.after))) return read;
    }
  }

  /** Follows the source until {@link stop}: drains, then waits `pollMs` for more. */
  async run(pollMs: number): Promise<void> {
    while (!this.#stopped) {
      if ((await this.drain()) > 0) continue;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#o.clock.setTimeout(resolve, pollMs);
      });
      this.#wake = undefined;
    }
  }

  /** Ends {@link run} (and a retrying publish) at the next step; what was published stays saved. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  async #reject(line: SourceLine<P>, f: DecodeFailure): Promise<void> {
    this.counts.rejected++;
    await this.#o.onRejected?.({ fileId: line.fileId, offset: line.offset, code: f.code, reason: f.reason, line: line.text });
  }

  /** Publishes `events` (if any) and saves `position`; false when stopped before it succeeded. */
  async #publish(events: TelemetryEvent[], position: P): Promise<boolean> {
    let wait = this.#o.backoffMs ?? 500;
    const max = this.#o.maxBackoffMs ?? 30_000;
    while (events.length > 0) {
      if (this.#stopped) return false;
      try {
        await this.#o.sink.send(events);
        this.counts.events += events.length;
        this.counts.batches++;
        break;
      } catch (err) {
        if (this.#o.retriable && !this.#o.retriable(err)) throw err;
        this.counts.retries++;
        this.#o.onRetry?.(err, wait);
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#o.clock.setTimeout(resolve, wait);
        });
        this.#wake = undefined;
        wait = Math.min(wait * 2, max);
      }
    }
    await this.#o.positions.save(position);
    return true;
  }
}
