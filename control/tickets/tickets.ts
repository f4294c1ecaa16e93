/**
 * Callback tickets for diverted callers, through the workflow service's port.
 * Routing only enqueues ({@link TicketDispatcher.enqueue}: a bounded queue,
 * oldest dropped and counted when full); a pump sends tickets off the hot path,
 * a few at a time, each call bounded by a timeout and guarded by the
 * `workflow-notifier` breaker. Failures are counted and retried with growing
 * delays up to `maxAttempts`.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import type { CallbackTicketRequest, CallbackTickets } from '../../core/messages.js';
import type { WriteGuard } from '../log/types.js';
import { bounded } from '../fleet/guard.js';
import { checkNumber } from '../errors.js';

/** In-memory tickets, idempotent by decision id: the port's twin, used when no workflow service is wired. */
export class InMemoryCallbackTickets implements CallbackTickets {
  readonly #byDecision = new Map<string, CallbackTicketRequest>();

  /** {@inheritDoc CallbackTickets.create} */
  async create(ticket: CallbackTicketRequest): Promise<void> {
    if (!this.#byDecision.has(ticket.decisionId)) this.#byDecision.set(ticket.decisionId, ticket);
  }

  /** Tickets created, oldest first. */
  list(): CallbackTicketRequest[] {
    return [...this.#byDecision.values()];
  }
}

/** Options of {@link TicketDispatcher}. */
export interface TicketDispatcherOptions<P> {
  readonly port: CallbackTickets;
  readonly clock: Clock;
  /** Queue capacity (default 10 000). */
  readonly capacity?: number;
  /** Tickets in flight at once (default 4). */
  readonly concurrency?: number;
  /** Attempts per ticket (default 5). */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt, ms (default 500). */
  readonly retryBaseMs?: number;
  /** Longest a create may take, ms (default 5000). */
  readonly timeoutMs?: number;
  /** The notifier's breaker, looked up per send. */
  readonly guard?: () => WriteGuard<P> | undefined;
  readonly onError?: (err: unknown, ticket: CallbackTicketRequest) => void;
}

interface Job {
  readonly ticket: CallbackTicketRequest;
  attempts: number;
}

/** See the module comment. */
export class TicketDispatcher<P = unknown> {
  readonly #options: TicketDispatcherOptions<P>;
  readonly #cap: number;
  readonly #conc: number;
  readonly #maxAttempts: number;
  readonly #retryBaseMs: number;
  readonly #timeoutMs: number;
  readonly #queue: Job[] = [];
  readonly #timers = new Set<TimerHandle>();
  #inflight = 0;
  #soon: TimerHandle | undefined;
  #guardWait = false;
  #stopped = false;
  #counts = { created: 0, failures: 0, retries: 0, dropped: 0, abandoned: 0 };

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming a bad option */
  constructor(options: TicketDispatcherOptions<P>) {
    this.#options = options;
    this.#cap = checkNumber('tickets.capacity', options.capacity ?? 10_000, { int: true, min: 1 });
    this.#conc = checkNumber('tickets.concurrency', options.concurrency ?? 4, { int: true, min: 1 });
    this.#maxAttempts = checkNumber('tickets.maxAttempts', options.maxAttempts ?? 5, { int: true, min: 1 });
    this.#retryBaseMs = checkNumber('tickets.retryBaseMs', options.retryBaseMs ?? 500, { int: true, min: 1 });
    this.#timeoutMs = checkNumber('tickets.timeoutMs', options.timeoutMs ?? 5_000, { int: true, min: 1 });
  }

  /** Queues a ticket; never blocks (a full queue drops its oldest ticket). */
  enqueue(ticket: CallbackTicketRequest): void {
    if (this.#stopped) return;
    this.#push({ ticket, attempts: 0 });
  }

  /** Counters, and the queue length. */
  stats(): { queued: number; inflight: number; created: number; failures: number; retries: number; dropped: number; abandoned: number } {
    return { queued: this.#queue.length, inflight: this.#inflight, ...this.#counts };
  }

  /** Stops retrying and sending; queued tickets stay counted as queued. */
  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) this.#options.clock.clearTimeout(t);
    this.#timers.clear();
    if (this.#soon !== undefined) this.#options.clock.clearTimeout(this.#soon);
  }

  #push(job: Job): void {
    if (this.#queue.length >= this.#cap) {
      this.#queue.shift();
      this.#counts.dropped += 1;
    }
    this.#queue.push(job);
    this.#wake();
  }

  #wake(): void {
    if (this.#soon !== undefined || this.#stopped) return;
    this.#soon = this.#options.clock.setTimeout(() => {
      this.#soon = undefined;
      this.#pump();
    }, 0);
  }

  #pump(): void {
    while (!this.#stopped && !this.#guardWait && this.#inflight < this.#conc && this.#queue.length > 0) {
      const guard = this.#options.guard?.();
      const permit = guard?.tryAcquire() ?? null;
      if (guard !== undefined && permit === null) {
        // The notifier's breaker is open: look again later instead of spinning.
        this.#guardWait = true;
        this.#later(() => {
          this.#guardWait = false;
          this.#pump();
        }, this.#retryBaseMs);
        return;
      }
      const job = this.#queue.shift()!;
      this.#inflight += 1;
      const t0 = this.#options.clock.now();
      bounded(this.#options.clock, this.#timeoutMs, 'callback ticket', () => this.#options.port.create(job.ticket)).then(
        () => {
          this.#inflight -= 1;
          this.#counts.created += 1;
          if (guard !== undefined) guard.onSuccess(this.#options.clock.now() - t0, permit!);
          this.#pump();
        },
        (err: unknown) => {
          this.#inflight -= 1;
          this.#counts.failures += 1;
          if (guard !== undefined) guard.onFailure(this.#options.clock.now() - t0, permit!);
          this.#options.onError?.(err, job.ticket);
          job.attempts += 1;
          if (job.attempts >= this.#maxAttempts) this.#counts.abandoned += 1;
          else {
            this.#counts.retries += 1;
            this.#later(() => this.#push(job), this.#retryBaseMs * 2 ** (job.attempts - 1));
          }
          this.#pump();
        },
      );
    }
  }

  #later(fn: () => void, ms: number): void {
    if (this.#stopped) return;
    const t = this.#options.clock.setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }
}
