/**
 * Sends traffic to a running Sluice over HTTP ingest: `POST /v1/events` with `{ events }` and an API
 * key, at most 1,000 events per request, retrying server errors and network failures with a doubling
 * backoff on the injected clock. A 503 or 429 that says when to come back (`Retry-After`: Sluice's ingest
 * backpressure, a rate limit) is flow control, not a failure: the sink waits as told and sends the same
 * request again, up to `maxBackpressureWaitMs` in all. A 422 `SLUICE_ERR_EVENTS_REJECTED` (nothing of the batch
 * accepted, each event refused with its reason and dead-lettered) counts its events as rejected, like a 202's.
 */
import type { Clock } from '../adapters/clock.js';
import { systemClock } from '../adapters/clock.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import type { TrafficSink } from './sinks.js';

/** Largest batch one request carries. */
export const MAX_HTTP_BATCH = 1000;

/** Options of {@link HttpIngestSink}. */
export interface HttpSinkOptions {
  /** Base URL of Sluice, e.g. `http://127.0.0.1:8080` (the path `/v1/events` is added). */
  readonly url: string;
  /** API key of a tenant's admin (or a `*` key), sent as `Authorization: Bearer <key>`. */
  readonly apiKey: string;
  /** Events per request, 1–1000 (default 1000). */
  readonly batchSize?: number;
  /** Retries of a request after a 5xx answer or a network error (default 5). */
  readonly retries?: number;
  /** First backoff, ms, doubled on every retry (default 200). */
  readonly backoffMs?: number;
  /** Abort a request after this long, ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Most time one request may spend waiting as `Retry-After` answers ask, ms (default 300 000). */
  readonly maxBackpressureWaitMs?: number;
  readonly clock?: Clock;
  /** The fetch to use (default the global one). */
  readonly fetch?: typeof fetch;
}

/** A request failed for good; `retriable` says whether trying again later may help. */
export class HttpSinkError extends Error {
  override readonly name = 'HttpSinkError';
  /**
   * @param status HTTP status, or 0 for a network error
   * @param retriable true for server errors and network failures
   */
  constructor(
    message: string,
    readonly status: number,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for an {@link HttpSinkError} (by marker, so duplicate copies of the module agree). */
export function isHttpSinkError(err: unknown): err is HttpSinkError {
  return err instanceof Error && err.name === 'HttpSinkError' && typeof (err as HttpSinkError).status === 'number';
}

/** Posts events to `POST /v1/events`. Counters tell what the server answered. */
export class HttpIngestSink implements TrafficSink {
  /** Events the server accepted. */
  accepted = 0;
  /** Events the server refused (dead-lettered), with the first few reasons. */
  rejected = 0;
  readonly rejections: { id: string; reason: string }[] = [];
  /** Requests sent, retries included. */
  requests = 0;
  /** Times the server asked the sink to come back later (503 or 429 with `Retry-After`). */
  backpressured = 0;
  retries = 0;
  readonly #o: Required<Omit<HttpSinkOptions, 'clock' | 'fetch'>>;
  readonly #endpoint: string;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;

  /** @throws RangeError when an option is out of range */
  constructor(o: HttpSinkOptions) {
    const batchSize = o.batchSize ?? MAX_HTTP_BATCH;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_HTTP_BATCH)
      throw new RangeError(`batchSize must be a whole number in 1–${MAX_HTTP_BATCH}`);
    if (!o.apiKey) throw new RangeError('apiKey is required');
    this.#endpoint = new URL('/v1/events', o.url).href;
    this.#o = {
      url: o.url,
      apiKey: o.apiKey,
      batchSize,
      retries: o.retries ?? 5,
      backoffMs: o.backoffMs ?? 200,
      timeoutMs: o.timeoutMs ?? 30_000,
      maxBackpressureWaitMs: o.maxBackpressureWaitMs ?? 300_000,
    };
    this.#clock = o.clock ?? systemClock;
    this.#fetch = o.fetch ?? fetch;
  }

  /** Sends `events` in requests of at most `batchSize`, in order. @throws HttpSinkError */
  async send(events: TelemetryEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += this.#o.batchSize) await this.#post(events.slice(i, i + this.#o.batchSize));
  }

  async #post(events: TelemetryEvent[]): Promise<void> {
    const body = JSON.stringify({ events });
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      let failure: HttpSinkError;
      try {
        this.requests++;
        const res = await this.#fetch(this.#endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#o.apiKey}` },
          body,
          signal: AbortSignal.timeout(this.#o.timeoutMs),
        });
        const text = await res.text();
        if (res.ok) return this.#count(events, text);
        // 422: nothing of the batch was accepted, every event refused with its reason (and dead-lettered): done, not failed.
        if (res.status === 422 && this.#countRefused(events, text)) return;
        failure = new HttpSinkError(
          `POST ${this.#endpoint} answered ${res.status}: ${text.slice(0, 300)}`,
          res.status,
          res.status >= 500 || res.status === 429,
        );
        const retryAfterS = Number(res.headers.get('retry-after') ?? Number.NaN);
        if (
          (res.status === 503 || res.status === 429) &&
          Number.isFinite(retryAfterS) &&
          retryAfterS >= 0 &&
          waited < this.#o.maxBackpressureWaitMs
        ) {
          // Nothing of the request was accepted: the same request again once the server has room.
          const ms = Math.min(Math.max(retryAfterS * 1000, 50), this.#o.maxBackpressureWaitMs - waited);
          waited += ms;
          this.backpressured++;
          attempt--;
          await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, ms));
          continue;
        }
      } catch (err) {
        failure = new HttpSinkError(`POST ${this.#endpoint} failed: ${(err as Error).message}`, 0, true, { cause: err });
      }
      if (!failure.retriable || attempt >= this.#o.retries) throw failure;
      this.retries++;
      await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, this.#o.backoffMs * 2 ** attempt));
    }
  }

  /** Counts a 422's events as rejected; false when the answer is not the ingest's "nothing accepted". */
  #countRefused(events: TelemetryEvent[], text: string): boolean {
    let error: { code?: unknown; rejected?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      return false;
    }
    if (error?.code !== 'SLUICE_ERR_EVENTS_REJECTED' || !Array.isArray(error.rejected)) return false;
    this.#count(events, JSON.stringify({ accepted: 0, rejected: error.rejected }));
    return true;
  }

  #count(events: TelemetryEvent[], text: string): void {
    let answer: { accepted?: unknown; rejected?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // An answer without a body counts every event as accepted.
    }
    const rejected = Array.isArray(answer.rejected) ? (answer.rejected as { index?: unknown; reason?: unknown }[]) : [];
    this.accepted += typeof answer.accepted === 'number' ? answer.accepted : events.length - rejected.length;
    this.rejected += rejected.length;
    for (const r of rejected) {
      if (this.rejections.length >= 20) break;
      const e = typeof r.index === 'number' ? events[r.index] : undefined;
      this.rejections.push({ id: e?.id ?? '?', reason: String(r.reason) });
    }
  }
}
