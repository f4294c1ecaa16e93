import type { Clock } from '../../adapters/clock.js';

/**
 * Storing rate assumed until one is measured, events/s. The embedded worker was seen storing about 450
 * events/s while chDB was cold on a busy 2-core machine, and many times that once warm: the first second's
 * measurement raises the bound, so starting low only costs a flood a few early 503s.
 */
export const DEFAULT_INITIAL_RATE = 400;
/** Part of the shutdown timeout the events waiting may fill; the rest is for stopping everything else. */
export const DEFAULT_SHUTDOWN_SHARE = 0.5;
/** Part of the bound one tenant's requests may fill, so another tenant's always find room. */
export const DEFAULT_TENANT_SHARE = 0.5;
/** Longest `Retry-After` given, s. */
export const MAX_RETRY_AFTER_S = 60;
/** Weight of a new measurement in the storing rate (an exponentially weighted mean over about 3 s). */
const ALPHA = 0.3;

/** Options for {@link IngestAdmission}. */
export interface IngestAdmissionOptions {
  /** Wall time: the rate and the shutdown timeout are wall-time quantities, whatever clock the domain runs on. */
  clock: Clock;
  /** Events accepted (published to the bus) so far; only grows. */
  accepted(): number;
  /** Events stored (handled by the pipeline worker) so far; only grows. */
  stored(): number;
  /** How long a graceful stop may take, ms (`SLUICE_SHUTDOWN_TIMEOUT_MS`). */
  shutdownTimeoutMs: number;
  /** The bound's ceiling, events (`SLUICE_INGEST_MAX_PENDING`). */
  maxPending: number;
  /** Storing rate assumed until one is measured, events/s (default {@link DEFAULT_INITIAL_RATE}). */
  initialRatePerSecond?: number;
  /** Part of the shutdown timeout the waiting events may fill, in (0, 1] (default {@link DEFAULT_SHUTDOWN_SHARE}). */
  shutdownShare?: number;
  /** Shortest interval between two measurements of the storing rate, ms (default 1000). */
  sampleMs?: number;
  /**
   * Part of the bound one tenant's events may fill, in (0, 1] (default {@link DEFAULT_TENANT_SHARE}): a tenant
   * flooding ingest holds at most this much, and the rest stays free for the others.
   */
  tenantShare?: number;
}

/** One tenant's admitted requests not yet stored: where each ends in the bus's order, and its size. */
interface TenantBacklog {
  readonly entries: { readonly end: number; readonly events: number }[];
  start: number;
  held: number;
}

/** What {@link IngestAdmission.tryAdmit} answered. */
export type Admission =
  | { readonly admitted: true /** Ends the reservation once the events are published (or were not); idempotent. */; release(): void }
  | { readonly admitted: false; readonly retryAfterSeconds: number; readonly pending: number; readonly bound: number };

/**
 * Admission to the embedded pipeline (in-process bus): an event accepted there lives only in this process
 * until the worker stored it, so a graceful stop has to store everything accepted within
 * `SLUICE_SHUTDOWN_TIMEOUT_MS`, and a crash loses whatever is waiting. The bound on events accepted but not
 * yet stored is therefore sized from how fast the worker stores: the storing rate measured over the last
 * seconds in which it had work throughout (an idle worker's rate says little of its speed) × the shutdown
 * timeout × {@link IngestAdmissionOptions.shutdownShare}, capped by `maxPending`. The measurement is taken
 * under load, while requests also use the CPU, and at shutdown the worker has the machine to itself, so the
 * drain is at least as fast. While ClickHouse is slow the bound shrinks with the rate; while it is down
 * nothing waiting could be stored, and the bound goes to nothing. A request is admitted whole or refused
 * whole; one is always admitted when nothing waits, so a request larger than a small bound is not refused
 * for ever.
 *
 * Tenants share the bound fairly: one tenant's events may fill at most `tenantShare` of it, so a tenant that
 * floods ingest is refused while another tenant's requests still find room. What a tenant holds is estimated
 * from the order of publication: each admitted request ends at a position of the bus's order (events
 * accepted before it, and it), and counts as stored once the worker stored that many events. The worker
 * reads partitions side by side, so this is an estimate, never above the events waiting in all; it needs no
 * count per tenant from the worker.
 */
export class IngestAdmission {
  readonly #o: Required<IngestAdmissionOptions>;
  #reserved = 0;
  readonly #tenants = new Map<string, TenantBacklog>();
  #rate: number | undefined;
  #last: { at: number; stored: number; backlog: number } | undefined;

  constructor(o: IngestAdmissionOptions) {
    const full: Required<IngestAdmissionOptions> = {
      initialRatePerSecond: DEFAULT_INITIAL_RATE,
      shutdownShare: DEFAULT_SHUTDOWN_SHARE,
      sampleMs: 1000,
      tenantShare: DEFAULT_TENANT_SHARE,
      ...o,
    };
    if (!(full.shutdownTimeoutMs > 0)) throw new RangeError(`shutdownTimeoutMs must be > 0 ms, got ${full.shutdownTimeoutMs}`);
    if (!(Number.isInteger(full.maxPending) && full.maxPending >= 1))
      throw new RangeError(`maxPending must be a whole number ≥ 1, got ${full.maxPending}`);
    if (!(full.initialRatePerSecond > 0))
      throw new RangeError(`initialRatePerSecond must be > 0 events/s, got ${full.initialRatePerSecond}`);
    if (!(full.shutdownShare > 0 && full.shutdownShare <= 1))
      throw new RangeError(`shutdownShare must be in (0, 1], got ${full.shutdownShare}`);
    if (!(full.sampleMs > 0)) throw new RangeError(`sampleMs must be > 0 ms, got ${full.sampleMs}`);
    if (!(full.tenantShare > 0 && full.tenantShare <= 1)) throw new RangeError(`tenantShare must be in (0, 1], got ${full.tenantShare}`);
    this.#o = full;
  }

  /** Events accepted and not yet stored, and events of admitted requests not yet published. */
  get pending(): number {
    return this.#backlog() + this.#reserved;
  }

  /** The storing rate the bound is sized from, events/s: measured, or assumed until measured. */
  get ratePerSecond(): number {
    return this.#rate ?? this.#o.initialRatePerSecond;
  }

  /** Most events that may wait to be stored now. */
  get bound(): number {
    const fits = Math.floor((this.ratePerSecond * this.#o.shutdownTimeoutMs * this.#o.shutdownShare) / 1000);
    return Math.min(this.#o.maxPending, Math.max(0, fits));
  }

  /** Events of `tenant`'s admitted requests not yet stored (an estimate: see the class comment). */
  pendingOf(tenant: string): number {
    const t = this.#tenants.get(tenant);
    if (!t) return 0;
    const stored = this.#o.stored();
    while (t.start < t.entries.length && t.entries[t.start]!.end <= stored) t.held -= t.entries[t.start++]!.events;
    if (t.start > 1024 && t.start * 2 > t.entries.length) {
      t.entries.splice(0, t.start);
      t.start = 0;
    }
    const pending = this.pending;
    // Nothing waits at all: whatever the estimate says (a request whose publishing failed), it holds nothing.
    if (t.held <= 0 || pending === 0) {
      this.#tenants.delete(tenant);
      return 0;
    }
    return Math.min(t.held, pending);
  }

  /**
   * Admits `events` more of `tenant` whole, reserving room for them until `release()`, or refuses them whole
   * with the seconds after which a retry may be admitted (the time to store what must go first, at the rate
   * measured). A tenant's first request is admitted whenever the bound has room for it, however large.
   */
  tryAdmit(events: number, tenant = ''): Admission {
    const refused = this.check(events, tenant);
    if (refused) return refused;
    this.#reserved += events;
    let t = this.#tenants.get(tenant);
    if (!t) this.#tenants.set(tenant, (t = { entries: [], start: 0, held: 0 }));
    t.entries.push({ end: this.#o.accepted() + this.#reserved, events });
    t.held += events;
    let held = true;
    return {
      admitted: true,
      release: () => {
        if (held) this.#reserved -= events;
        held = false;
      },
    };
  }

  /**
   * Whether `events` more of `tenant` would be refused now, without reserving anything: the refusal, or
   * undefined. With `events` = 1 it tells before a request's body is read whether any of it could be taken.
   */
  check(events: number, tenant = ''): (Admission & { admitted: false }) | undefined {
    this.#sample();
    const pending = this.pending;
    const bound = this.bound;
    const mine = this.pendingOf(tenant);
    const fits = pending + events <= bound && (mine === 0 || mine + events <= Math.floor(bound * this.#o.tenantShare));
    if (pending === 0 || fits) return undefined;
    // Over the tenant's share, its own waiting events go first; over the bound, everything waiting does.
    const toStoreFirst = pending + events > bound ? Math.min(pending, pending + events - bound) : pending;
    const retryAfterSeconds = Math.min(MAX_RETRY_AFTER_S, Math.max(1, Math.ceil(toStoreFirst / Math.max(this.ratePerSecond, 1))));
    return { admitted: false, retryAfterSeconds, pending, bound };
  }

  /**
   * Waits until `events` are admitted (for producers inside the process, such as the demo's simulator,
   * which wait rather than drop), polling every `pollMs`; rejects with the signal's reason when aborted.
   */
  async admit(events: number, signal?: AbortSignal, pollMs = 100, tenant = ''): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const a = this.tryAdmit(events, tenant);
      if (a.admitted) return a.release;
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          this.#o.clock.clearTimeout(timer);
          resolve();
        };
        const timer = this.#o.clock.setTimeout(
          () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          Math.min(pollMs, a.retryAfterSeconds * 1000),
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
  }

  /** Events published and not yet stored. */
  #backlog(): number {
    return Math.max(0, this.#o.accepted() - this.#o.stored());
  }

  /**
   * Measures the storing rate once per `sampleMs` (on the admission checks: under load they come often).
   * An interval in which the worker stored fewer events than were waiting at its start shows its speed: it
   * never ran out of work (some of what waited at the start was still waiting at the end) — that holds when
   * ClickHouse is down too, and the rate measured is then 0. Otherwise the worker may have idled, and what it
   * stored only shows it is at least that fast.
   */
  #sample(): void {
    const now = this.#o.clock.now();
    const last = this.#last;
    if (last && now - last.at < this.#o.sampleMs) return;
    const stored = this.#o.stored();
    this.#last = { at: now, stored, backlog: this.#backlog() };
    if (!last) return;
    const rate = ((stored - last.stored) * 1000) / (now - last.at);
    if (stored - last.stored < last.backlog) {
      this.#rate = this.#rate === undefined ? rate : this.#rate + ALPHA * (rate - this.#rate);
    } else if (rate > this.ratePerSecond) {
      this.#rate = rate;
    }
  }
}
