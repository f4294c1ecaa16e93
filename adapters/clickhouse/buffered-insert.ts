/**
 * The one buffered ClickHouse insert of Sluice (the control room's decision log and the
 * workflow's ticket history both write through it). Callers hand rows over and return at
 * once; rows leave in batches, one write at a time, each under its own dedup token, so a
 * retried batch is stored once.
 *
 * - **Size or time**: a batch leaves when `batchSize` rows are waiting (on a zero-delay
 *   timer, never inside `add`) or `flushMs` after the first row arrived.
 * - **Bounded queue**: a ring of `capacity` rows; when full, the oldest row is dropped and
 *   counted (`add` stays O(1) whatever the writer does).
 * - **Retries with backoff**: a failed batch keeps its rows and its token and is retried
 *   first, after `flushMs`, then twice that, … up to `maxBackoffMs` (an explicit
 *   {@link BufferedInsert.flush} retries at once); after `maxAttempts` it is dropped.
 * - **Guard**: an optional circuit breaker is asked before each write; while it refuses,
 *   rows wait in the ring.
 * - **Flush on stop**, and an observer told of each stored batch with its latency.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { ClickHouse } from './connect.js';

/** Writes one batch; must be idempotent per `token` (a retried batch carries the same token). */
export type BatchWriter<T> = (batch: readonly T[], token: string) => Promise<void>;

/** The part of a circuit breaker a buffered insert asks before each write. */
export interface InsertGuard<P> {
  /** A permit, or null while the breaker refuses. */
  tryAcquire(): P | null;
  onSuccess(latencyMs: number, permit: P): void;
  onFailure(latencyMs: number, permit: P): void;
}

/** What a buffered insert reports (every callback optional, none may throw). */
export interface InsertObserver {
  /** A batch was stored: its rows and how long the write took, ms (clock time). */
  inserted?(rows: number, latencyMs: number): void;
  /** A write failed; its batch is retried with the same token, or dropped after `maxAttempts`. */
  failed?(err: unknown): void;
  /** Rows dropped: the oldest when the queue was full, or a batch that failed every attempt. */
  dropped?(rows: number, why: 'full' | 'attempts'): void;
}

/** Options of {@link BufferedInsert}. */
export interface BufferedInsertOptions<T, P = unknown> {
  readonly write: BatchWriter<T>;
  /** Time source of the flush and retry timers and of the latency measure. */
  readonly clock: Clock;
  /** Prefix of dedup tokens (`prefix:1`, `prefix:2`, …); unique per process lifetime. */
  readonly tokenPrefix: string;
  /** Longest a row waits before its batch leaves, ms (default 1 000); also the first retry delay. */
  readonly flushMs?: number;
  /** Rows per batch (default 500). */
  readonly batchSize?: number;
  /** Rows held at most, ≥ `batchSize` (default 20 000); beyond it the oldest are dropped. */
  readonly capacity?: number;
  /** Attempts per batch before it is dropped (default: unlimited). */
  readonly maxAttempts?: number;
  /** Longest delay between two background retries of a batch, ms (default 30 000). */
  readonly maxBackoffMs?: number;
  /** The sink's breaker, looked up at each write (a registry may replace it). */
  readonly guard?: () => InsertGuard<P> | undefined;
  readonly observer?: InsertObserver;
}

/** Counters of a {@link BufferedInsert}. */
export interface BufferedInsertStats {
  /** Rows waiting in memory (including a batch being retried). */
  readonly buffered: number;
  /** Rows acknowledged by the writer. */
  readonly written: number;
  /** Rows dropped: oldest when the queue was full, or a batch that failed every attempt. */
  readonly dropped: number;
  /** Writer calls that failed. */
  readonly failedWrites: number;
  /** Writes skipped because the guard refused. */
  readonly skippedOpen: number;
}

interface Batch<T> {
  readonly token: string;
  readonly rows: T[];
  attempts: number;
}

function positiveInt(field: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${field} must be an integer ≥ ${min} (got ${value})`);
  return value;
}

/** See the module comment. Build it, `start()` it, `add` rows, `stop()` to flush what is left. */
export class BufferedInsert<T, P = unknown> {
  readonly #o: BufferedInsertOptions<T, P>;
  readonly #flushMs: number;
  readonly #batch: number;
  readonly #max: number;
  readonly #attempts: number;
  readonly #maxBackoff: number;
  /** Rounds of one flush: everything buffered when it started, and a little more. */
  readonly #rounds: number;
  readonly #ring: (T | undefined)[];
  #head = 0;
  #size = 0;
  #retry: Batch<T> | null = null;
  #seq = 0;
  #started = false;
  #timer: TimerHandle | undefined;
  #soon: TimerHandle | undefined;
  #running: Promise<void> | null = null;
  #written = 0;
  #dropped = 0;
  #failed = 0;
  #skipped = 0;

  /** @throws RangeError naming an option out of range */
  constructor(options: BufferedInsertOptions<T, P>) {
    this.#o = options;
    this.#flushMs = positiveInt('flushMs', options.flushMs ?? 1_000, 1);
    this.#batch = positiveInt('batchSize', options.batchSize ?? 500, 1);
    this.#max = positiveInt('capacity', options.capacity ?? 20_000, this.#batch);
    this.#attempts =
      options.maxAttempts === undefined || options.maxAttempts === Infinity ? Infinity : positiveInt('maxAttempts', options.maxAttempts, 1);
    this.#maxBackoff = positiveInt('maxBackoffMs', options.maxBackoffMs ?? 30_000, this.#flushMs);
    this.#rounds = Math.max(64, Math.ceil(this.#max / this.#batch) + 1);
    this.#ring = new Array<T | undefined>(this.#max);
  }

  /** Queues one row; never blocks, never throws (a full queue drops its oldest row). */
  add(row: T): void {
    if (this.#push(row)) this.#report(1);
    this.#arm();
  }

  /** Queues rows in order; the rows dropped to make room are reported once. */
  addAll(rows: readonly T[]): void {
    let dropped = 0;
    for (const r of rows) if (this.#push(r)) dropped++;
    if (dropped > 0) this.#report(dropped);
    if (rows.length > 0) this.#arm();
  }

  /**
   * Writes everything buffered now, retrying a pending batch at once. Runs one after another.
   * @throws the write error that stopped it (the rows stay buffered for the next try)
   */
  flush(): Promise<void> {
    // The first run starts now (its batch is taken before `flush` returns); later ones queue behind it.
    const previous = this.#running;
    const run = previous === null ? this.#drain() : previous.catch(() => undefined).then(() => this.#drain());
    const tracked: Promise<void> = run.finally(() => {
      if (this.#running === tracked) this.#running = null;
    });
    this.#running = tracked;
    return tracked;
  }

  /** Starts the time-based flushes. Idempotent. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#arm();
  }

  /** Stops every timer and flushes what is left; a failure is reported to the observer, not thrown. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#clear();
    if (this.#soon !== undefined) this.#o.clock.clearTimeout(this.#soon);
    this.#soon = undefined;
    await this.flush().catch(() => undefined);
  }

  stats(): BufferedInsertStats {
    return {
      buffered: this.#size + (this.#retry?.rows.length ?? 0),
      written: this.#written,
      dropped: this.#dropped,
      failedWrites: this.#failed,
      skippedOpen: this.#skipped,
    };
  }

  /** True when the oldest row was dropped to make room. */
  #push(row: T): boolean {
    let dropped = false;
    if (this.#size === this.#max) {
      this.#head = (this.#head + 1) % this.#max;
      this.#size -= 1;
      this.#dropped += 1;
      dropped = true;
    }
    this.#ring[(this.#head + this.#size) % this.#max] = row;
    this.#size += 1;
    return dropped;
  }

  #report(rows: number): void {
    this.#o.observer?.dropped?.(rows, 'full');
  }

  /** A full batch leaves on the next turn; otherwise, once started, the oldest row waits at most `flushMs`. */
  #arm(): void {
    // While a failed batch waits for its retry, a full batch does not hurry it.
    if (this.#size >= this.#batch && this.#soon === undefined && this.#running === null && this.#retry === null && this.#started) {
      this.#soon = this.#o.clock.setTimeout(() => {
        this.#soon = undefined;
        this.#background();
      }, 0);
    }
    if (this.#started && this.#timer === undefined && (this.#size > 0 || this.#retry !== null)) this.#schedule(this.#flushMs);
  }

  #schedule(ms: number): void {
    this.#clear();
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#background();
    }, ms);
  }

  #clear(): void {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A flush from a timer: its failure is already reported; what is left is scheduled again. */
  #background(): void {
    void this.flush().then(
      () => this.#arm(),
      () => {
        if (!this.#started) return;
        const attempts = this.#retry?.attempts ?? 1;
        this.#schedule(Math.min(this.#maxBackoff, this.#flushMs * 2 ** Math.min(attempts - 1, 30)));
      },
    );
  }

  async #drain(): Promise<void> {
    for (let round = 0; round < this.#rounds; round++) {
      if (this.#retry === null) {
        if (this.#size === 0) return;
        this.#retry = { token: `${this.#o.tokenPrefix}:${++this.#seq}`, rows: this.#take(), attempts: 0 };
      }
      if (!(await this.#write(this.#retry))) return;
      this.#retry = null;
    }
  }

  /** One attempt: true when stored, false when the guard refused; throws the write error. */
  async #write(b: Batch<T>): Promise<boolean> {
    const guard = this.#o.guard?.();
    const permit = guard?.tryAcquire() ?? null;
    if (guard !== undefined && permit === null) {
      this.#skipped += 1;
      return false;
    }
    const t0 = this.#o.clock.now();
    try {
      await this.#o.write(b.rows, b.token);
    } catch (err) {
      if (guard !== undefined) guard.onFailure(this.#o.clock.now() - t0, permit!);
      this.#failed += 1;
      this.#o.observer?.failed?.(err);
      b.attempts += 1;
      if (b.attempts >= this.#attempts) {
        this.#dropped += b.rows.length;
        this.#retry = null;
        this.#o.observer?.dropped?.(b.rows.length, 'attempts');
      }
      throw err;
    }
    const latency = this.#o.clock.now() - t0;
    if (guard !== undefined) guard.onSuccess(latency, permit!);
    this.#written += b.rows.length;
    this.#o.observer?.inserted?.(b.rows.length, latency);
    return true;
  }

  #take(): T[] {
    const n = Math.min(this.#batch, this.#size);
    const out = new Array<T>(n);
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

/**
 * Inserts rows as `JSONEachRow` into `table` of the connection's database, with
 * `insert_deduplication_token` = `table:token` (through chDB, settings stick to the session, so
 * every insert passes its own) and synchronous inserts, so a retried batch is a no-op.
 *
 * @param table a table name (an identifier chosen by the code, never by a request)
 */
export async function insertRows(ch: ClickHouse, table: string, rows: readonly object[], token: string): Promise<void> {
  if (rows.length === 0) return;
  await ch.client.insert({
    table: `${ch.database}.${table}`,
    values: rows as object[],
    format: 'JSONEachRow',
    clickhouse_settings: { insert_deduplication_token: `${table}:${token}`, async_insert: 0 },
  });
}
