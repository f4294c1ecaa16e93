/**
 * The decision log's buffer: `append` puts a record in a fixed-size ring (when
 * full, the oldest record is dropped and counted) and returns. Batches of up to
 * `batchSize` records leave every `flushMs`, or as soon as a batch is full (on
 * a zero-delay timer, never inside `append`), through one writer call at a
 * time. A failed batch keeps its dedup token and is retried first, up to
 * `maxAttempts`; the sink's breaker (`clickhouse-sink`) guards each write, and
 * while it is open the records wait in the ring.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import { checkNumber } from '../errors.js';
import type { ControlLogRecord, DecisionLog, LogStats, LogWriter, WriteGuard } from './types.js';

/** Options of {@link BufferedDecisionLog}. */
export interface BufferedLogOptions<P> {
  readonly writer: LogWriter;
  readonly clock: Clock;
  /** Prefix of dedup tokens; unique per process lifetime (e.g. instance id + incarnation). */
  readonly tokenPrefix: string;
  /** Flush period, ms (default 1000). */
  readonly flushMs?: number;
  /** Records per batch (default 500). */
  readonly batchSize?: number;
  /** Ring capacity, records (default 20 000). */
  readonly capacity?: number;
  /** Attempts per batch before it is dropped (default 5). */
  readonly maxAttempts?: number;
  /** The sink's breaker, looked up at each write (the registry may replace it). */
  readonly guard?: () => WriteGuard<P> | undefined;
  /** Called with each write failure. */
  readonly onError?: (err: unknown) => void;
}

/** See the module comment. */
export class BufferedDecisionLog<P = unknown> implements DecisionLog {
  readonly #o: BufferedLogOptions<P>;
  readonly #flushMs: number;
  readonly #batch: number;
  readonly #ring: (ControlLogRecord | undefined)[];
  readonly #max: number;
  readonly #attempts: number;
  #head = 0;
  #size = 0;
  #retry: { token: string; records: ControlLogRecord[]; attempts: number } | null = null;
  #seq = 0;
  #timer: TimerHandle | undefined;
  #soon: TimerHandle | undefined;
  #running: Promise<void> | null = null;
  #written = 0;
  #dropped = 0;
  #failed = 0;
  #skipped = 0;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming a bad option */
  constructor(options: BufferedLogOptions<P>) {
    this.#o = options;
    this.#flushMs = checkNumber('log.flushMs', options.flushMs ?? 1_000, { int: true, min: 1 });
    this.#batch = checkNumber('log.batchSize', options.batchSize ?? 500, { int: true, min: 1 });
    this.#max = checkNumber('log.capacity', options.capacity ?? 20_000, { int: true, min: this.#batch });
    this.#attempts = checkNumber('log.maxAttempts', options.maxAttempts ?? 5, { int: true, min: 1 });
    this.#ring = new Array<ControlLogRecord | undefined>(this.#max);
  }

  /** {@inheritDoc DecisionLog.append} */
  append(record: ControlLogRecord): void {
    if (this.#size === this.#max) {
      this.#head = (this.#head + 1) % this.#max;
      this.#size -= 1;
      this.#dropped += 1;
    }
    this.#ring[(this.#head + this.#size) % this.#max] = record;
    this.#size += 1;
    if (this.#size >= this.#batch && this.#soon === undefined && this.#running === null) {
      this.#soon = this.#o.clock.setTimeout(() => {
        this.#soon = undefined;
        void this.flush();
      }, 0);
    }
  }

  /** {@inheritDoc DecisionLog.flush} Concurrent calls share one run. */
  flush(): Promise<void> {
    this.#running ??= this.#drain().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** {@inheritDoc DecisionLog.start} */
  start(): void {
    if (this.#timer !== undefined) return;
    const arm = () => {
      this.#timer = this.#o.clock.setTimeout(() => {
        void this.flush().finally(() => {
          if (this.#timer !== undefined) arm();
        });
      }, this.#flushMs);
    };
    arm();
  }

  /** {@inheritDoc DecisionLog.stop} */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    if (this.#soon !== undefined) this.#o.clock.clearTimeout(this.#soon);
    this.#timer = this.#soon = undefined;
    await this.flush();
  }

  /** {@inheritDoc DecisionLog.stats} */
  stats(): LogStats {
    return { buffered: this.#size + (this.#retry?.records.length ?? 0), written: this.#written, dropped: this.#dropped, failedWrites: this.#failed, skippedOpen: this.#skipped };
  }

  async #drain(): Promise<void> {
    for (let round = 0; round < 64; round++) {
      if (this.#retry === null) {
        if (this.#size === 0) return;
        this.#retry = { token: `${this.#o.tokenPrefix}:${++this.#seq}`, records: this.#take(), attempts: 0 };
      }
      if (!(await this.#write(this.#retry))) return;
      this.#retry = null;
    }
  }

  /** One attempt; false when the drain should stop for now. */
  async #write(b: { token: string; records: ControlLogRecord[]; attempts: number }): Promise<boolean> {
    const guard = this.#o.guard?.();
    const permit = guard?.tryAcquire() ?? null;
    if (guard !== undefined && permit === null) {
      this.#skipped += 1;
      return false;
    }
    const t0 = this.#o.clock.now();
    try {
      await this.#o.writer.write(b.records, b.token);
      if (guard !== undefined) guard.onSuccess(this.#o.clock.now() - t0, permit!);
      this.#written += b.records.length;
      return true;
    } catch (err) {
      if (guard !== undefined) guard.onFailure(this.#o.clock.now() - t0, permit!);
      this.#failed += 1;
      this.#o.onError?.(err);
      b.attempts += 1;
      if (b.attempts >= this.#attempts) {
        this.#dropped += b.records.length;
        this.#retry = null;
      }
      return false;
    }
  }

  #take(): ControlLogRecord[] {
    const n = Math.min(this.#batch, this.#size);
    const out = new Array<ControlLogRecord>(n);
    for (let i = 0; i < n; i++) {
      const at = (this.#head + i) % this.#max;
      out[i] = this.#ring[at]!;
      this.#ring[at] = undefined;
    }
    this.#head = (this.#head + n) % this.#max;
    this.#size -= n;
    return out;
  }
}
