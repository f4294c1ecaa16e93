/**
 * The decision log's buffer: the one buffered ClickHouse insert of Sluice
 * (`adapters/clickhouse/buffered-insert.ts`) over a {@link LogWriter}. `append` puts a record
 * in a fixed-size ring (when full, the oldest record is dropped and counted) and returns.
 * Batches of up to `batchSize` records leave within `flushMs`, or as soon as a batch is full
 * (on a zero-delay timer, never inside `append`), through one writer call at a time. A failed
 * batch keeps its dedup token and is retried first, with backoff, up to `maxAttempts`; the
 * sink's breaker (`clickhouse-sink`) guards each write, and while it is open the records wait
 * in the ring.
 */
import { BufferedInsert } from '../../adapters/clickhouse/buffered-insert.js';
import type { Clock } from '../../adapters/clock.js';
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
  readonly #insert: BufferedInsert<ControlLogRecord, P>;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming a bad option */
  constructor(options: BufferedLogOptions<P>) {
    const batchSize = checkNumber('log.batchSize', options.batchSize ?? 500, { int: true, min: 1 });
    const writer = options.writer;
    const onError = options.onError;
    this.#insert = new BufferedInsert<ControlLogRecord, P>({
      write: (batch, token) => writer.write(batch, token),
      clock: options.clock,
      tokenPrefix: options.tokenPrefix,
      flushMs: checkNumber('log.flushMs', options.flushMs ?? 1_000, { int: true, min: 1 }),
      batchSize,
      capacity: checkNumber('log.capacity', options.capacity ?? 20_000, { int: true, min: batchSize }),
      maxAttempts: checkNumber('log.maxAttempts', options.maxAttempts ?? 5, { int: true, min: 1 }),
      ...(options.guard === undefined ? {} : { guard: options.guard }),
      ...(onError === undefined ? {} : { observer: { failed: onError } }),
    });
  }

  /** {@inheritDoc DecisionLog.append} */
  append(record: ControlLogRecord): void {
    this.#insert.add(record);
  }

  /** {@inheritDoc DecisionLog.flush} A failed write is reported to `onError`, not thrown. */
  flush(): Promise<void> {
    return this.#insert.flush().catch(() => undefined);
  }

  /** {@inheritDoc DecisionLog.start} */
  start(): void {
    this.#insert.start();
  }

  /** {@inheritDoc DecisionLog.stop} */
  stop(): Promise<void> {
    return this.#insert.stop();
  }

  /** {@inheritDoc DecisionLog.stats} */
  stats(): LogStats {
    return this.#insert.stats();
  }
}
