import type { Clock, TimerHandle } from '../../adapters/clock.js';
import type { Notifier } from './notifier.js';
import type { SlaTimer, TimerStore } from './timer-store.js';

/** Options of {@link TimerService}. */
export interface TimerServiceOptions {
  /** Where timers wait (shared by all instances). */
  readonly store: TimerStore;
  /** Where fired timers go. */
  readonly notifier: Notifier;
  /** Time source; a `ManualClock` in tests. */
  readonly clock: Clock;
  /** Longest sleep between polls, ms (default 1000): bounds the delay for timers other instances schedule. */
  readonly pollIntervalMs?: number;
  /** Timers claimed per store round trip (default 100). */
  readonly batchSize?: number;
  /** Delivery attempts per timer including the first (default 3). */
  readonly maxAttempts?: number;
  /** Delay before the first retry, ms, doubled for each further one (default 30 000). */
  readonly retryDelayMs?: number;
}

/** What happened to one claimed timer. */
export interface FireResult {
  /** The timer claimed. */
  readonly timer: SlaTimer;
  /** Epoch ms it was claimed and handed to the notifier. */
  readonly firedAt: number;
  /** True when it fell due before this service started. */
  readonly late: boolean;
  /** `firedAt - dueAt`, ms ≥ 0. */
  readonly latenessMs: number;
  /** True when the notifier accepted it. */
  readonly delivered: boolean;
  /** The delivery error, when not delivered. */
  readonly error?: unknown;
  /** The retry scheduled for a retriable failure. */
  readonly retry?: SlaTimer;
}

/** Instrumentation events of the timer service. */
export interface TimerServiceEvents {
  /** A timer was delivered. */
  fired: FireResult;
  /** A timer's delivery failed (a retry may be scheduled). */
  failed: FireResult;
  /** The store failed during a poll; the loop carries on. */
  error: unknown;
}

type Listener<T> = (event: T) => void;

/**
 * Polls the {@link TimerStore} on the injected clock and fires due timers to the
 * {@link Notifier}. It sleeps until the earliest pending timer (never longer than the poll
 * interval), so a timer fires at its due instant; claiming in the store makes each timer
 * fire on exactly one instance.
 *
 * @example
 * const service = new TimerService({ store, notifier, clock: systemClock });
 * service.on('fired', (r) => histogram.observe(r.latenessMs));
 * service.start();
 */
export class TimerService {
  readonly #o: Required<TimerServiceOptions>;
  readonly #listeners: { [K in keyof TimerServiceEvents]: Set<Listener<TimerServiceEvents[K]>> } = {
    fired: new Set(),
    failed: new Set(),
    error: new Set(),
  };
  #startedAt: number | undefined;
  #handle: TimerHandle | undefined;
  #running = false;
  #inFlight: Promise<unknown> = Promise.resolve();

  /** @param options store, notifier, clock and tuning */
  constructor(options: TimerServiceOptions) {
    this.#o = { pollIntervalMs: 1_000, batchSize: 100, maxAttempts: 3, retryDelayMs: 30_000, ...options };
  }

  /** Epoch ms of {@link start}; timers due before it are reported `late`. */
  get startedAt(): number | undefined {
    return this.#startedAt;
  }

  /** Subscribes to an event; returns the unsubscribe function. Costs nothing while nobody listens. */
  on<K extends keyof TimerServiceEvents>(event: K, listener: Listener<TimerServiceEvents[K]>): () => void {
    const set = this.#listeners[event] as Set<Listener<TimerServiceEvents[K]>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  #emit<K extends keyof TimerServiceEvents>(event: K, payload: TimerServiceEvents[K]): void {
    for (const l of this.#listeners[event] as Set<Listener<TimerServiceEvents[K]>>) {
      try {
        l(payload);
      } catch {
        // A failing listener must not stop timers from firing.
      }
    }
  }

  /** Starts polling immediately; a second call is a no-op. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAt ??= this.#o.clock.now();
    this.#inFlight = this.#poll();
  }

  /** Stops polling and waits for the poll in flight, if any. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#handle !== undefined) this.#o.clock.clearTimeout(this.#handle);
    this.#handle = undefined;
    await this.#inFlight;
  }

  #arm(delayMs: number): void {
    if (!this.#running) return;
    this.#handle = this.#o.clock.setTimeout(() => {
      this.#handle = undefined;
      this.#inFlight = this.#poll();
    }, delayMs);
  }

  async #poll(): Promise<void> {
    let delay = this.#o.pollIntervalMs;
    try {
      await this.tick();
      const next = await this.#o.store.nextDueAt();
      if (next !== undefined) delay = Math.min(delay, Math.max(0, next - this.#o.clock.now()));
    } catch (err) {
      this.#emit('error', err);
    }
    this.#arm(delay);
  }

  /**
   * Claims and fires every timer due now, batch after batch. Called by the poll loop; call
   * it directly to drive the service by hand.
   */
  async tick(): Promise<FireResult[]> {
    this.#startedAt ??= this.#o.clock.now();
    const results: FireResult[] = [];
    for (;;) {
      const now = this.#o.clock.now();
      const batch = await this.#o.store.claimDue(now, this.#o.batchSize);
      results.push(...(await Promise.all(batch.map((t) => this.#fire(t, now)))));
      if (batch.length < this.#o.batchSize) return results;
    }
  }

  /** Delivers one claimed timer; `firedAt` is the claim instant, so lateness excludes delivery time. */
  async #fire(timer: SlaTimer, firedAt: number): Promise<FireResult> {
    const base = { timer, firedAt, late: timer.dueAt < (this.#startedAt ?? firedAt), latenessMs: Math.max(0, firedAt - timer.dueAt) };
    try {
      await this.#o.notifier.notify(base);
      const result: FireResult = { ...base, delivered: true };
      this.#emit('fired', result);
      return result;
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable !== false;
      let retry: SlaTimer | undefined;
      if (retriable && timer.attempt < this.#o.maxAttempts) {
        retry = {
          ...timer,
          id: `${timer.id.replace(/#\d+$/, '')}#${timer.attempt + 1}`,
          attempt: timer.attempt + 1,
          dueAt: firedAt + this.#o.retryDelayMs * 2 ** (timer.attempt - 1),
        };
        if (!(await this.#o.store.schedule(retry).catch(() => false))) retry = undefined;
      }
      const result: FireResult = retry ? { ...base, delivered: false, error, retry } : { ...base, delivered: false, error };
      this.#emit('failed', result);
      return result;
    }
  }
}
