import type { Clock, TimerHandle } from '../../adapters/clock.js';
import type { Notifier } from './notifier.js';
import { DEFAULT_TIMER_LEASE_MS, type SlaTimer, type TimerStore } from './timer-store.js';

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
  /**
   * How long a claimed timer stays leased to this instance, ms (default 60 000). Must
   * exceed the slowest delivery (a webhook's timeout): an instance that dies mid-send
   * leaves its timers to be claimed again by another once the lease runs out.
   */
  readonly leaseMs?: number;
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
  /** The store failed during a poll or an ack; the loop carries on (an unacked timer is claimed again after its lease). */
  error: unknown;
}

type Listener<T> = (event: T) => void;

/**
 * Polls the {@link TimerStore} on the injected clock and fires due timers to the
 * {@link Notifier}. It sleeps until the earliest pending timer (never longer than the poll
 * interval), so a timer fires at its due instant; claiming in the store makes each timer
 * fire on exactly one instance. Each timer is acked right after its delivery was settled
 * (delivered, retry scheduled, or given up), so an instance that dies mid-send loses no
 * timer: its leases run out and another instance claims them.
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
    this.#o = { pollIntervalMs: 1_000, batchSize: 100, maxAttempts: 3, retryDelayMs: 30_000, leaseMs: DEFAULT_TIMER_LEASE_MS, ...options };
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
      const batch = await this.#o.store.claimDue(now, this.#o.batchSize, this.#o.leaseMs);
      results.push(...(await Promise.all(batch.map((t) => this.#fire(t, now)))));
      if (batch.length < this.#o.batchSize) return results;
    }
  }

  /** Delivers one claimed timer; `firedAt` is the claim instant, so lateness excludes delivery time. */
  async #fire(timer: SlaTimer, firedAt: number): Promise<FireResult> {
    const base = { timer, firedAt, late: timer.dueAt < (this.#startedAt ?? firedAt), latenessMs: Math.max(0, firedAt - timer.dueAt) };
    let result: FireResult;
    try {
      await this.#o.notifier.notify(base);
      result = { ...base, delivered: true };
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
        const scheduled = await this.#o.store.schedule(retry).catch((err: unknown) => {
          this.#emit('error', err);
          return undefined;
        });
        // The store is unreachable: leave the timer unacked so it is claimed again after its lease.
        if (scheduled === undefined) {
          const unacked: FireResult = { ...base, delivered: false, error };
          this.#emit('failed', unacked);
          return unacked;
        }
        if (!scheduled) retry = undefined;
      }
      result = retry ? { ...base, delivered: false, error, retry } : { ...base, delivered: false, error };
    }
    try {
      await this.#o.store.ack([timer], this.#o.clock.now());
    } catch (err) {
      this.#emit('error', err);
    }
    this.#emit(result.delivered ? 'fired' : 'failed', result);
    return result;
  }
}
