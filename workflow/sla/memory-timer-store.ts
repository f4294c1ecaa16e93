import {
  assertTimersOf,
  DEFAULT_TIMER_LEASE_MS,
  type SlaTimer,
  type TimerRef,
  type TimerReplacement,
  type TimerStore,
} from './timer-store.js';

const DAY_MS = 86_400_000;

/** Options of {@link MemoryTimerStore}. */
export interface MemoryTimerStoreOptions {
  /** How long a fired id is remembered so re-scheduling it is ignored, ms (default 30 days). */
  readonly firedRetentionMs?: number;
}

const key = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

const byDue = (a: SlaTimer, b: SlaTimer): number => a.dueAt - b.dueAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The in-memory {@link TimerStore}: one process, no persistence. Every method runs without
 * an await in between, which makes `claimDue` atomic for all callers sharing the instance.
 */
export class MemoryTimerStore implements TimerStore {
  readonly #pending = new Map<string, SlaTimer>();
  /** Claimed, not yet acked: the timer and its lease deadline. */
  readonly #inFlight = new Map<string, { timer: SlaTimer; until: number }>();
  readonly #fired = new Map<string, number>();
  readonly #revisions = new Map<string, number>();
  readonly #retention: number;

  /** @param options retention of fired marks */
  constructor(options: MemoryTimerStoreOptions = {}) {
    this.#retention = options.firedRetentionMs ?? 30 * DAY_MS;
  }

  async schedule(timer: SlaTimer): Promise<boolean> {
    return this.#schedule(timer);
  }

  #schedule(timer: SlaTimer): boolean {
    const k = key(timer.tenant, timer.id);
    if (this.#fired.has(k) || this.#inFlight.has(k)) return false;
    const known = this.#revisions.get(key(timer.tenant, timer.ticketId));
    if (known !== undefined && timer.revision < known) return false;
    this.#pending.set(k, structuredClone(timer));
    return true;
  }

  async cancel(tenant: string, ticketId: string, revision?: number): Promise<number> {
    return this.#cancel(tenant, ticketId, revision);
  }

  #cancel(tenant: string, ticketId: string, revision?: number): number {
    const tk = key(tenant, ticketId);
    if (revision !== undefined) this.#revisions.set(tk, Math.max(revision, this.#revisions.get(tk) ?? revision));
    let removed = 0;
    for (const [k, t] of this.#pending) {
      if (t.tenant === tenant && t.ticketId === ticketId && (revision === undefined || t.revision < revision)) {
        this.#pending.delete(k);
        removed++;
      }
    }
    return removed;
  }

  async replace(tenant: string, ticketId: string, revision: number, timers: readonly SlaTimer[]): Promise<TimerReplacement> {
    return this.replaceNow(tenant, ticketId, revision, timers);
  }

  /**
   * {@link replace} without a turn of the event loop, for the {@link MemoryTicketStore} paired with this store: its
   * ticket write and this replacement are one synchronous step.
   */
  replaceNow(tenant: string, ticketId: string, revision: number, timers: readonly SlaTimer[]): TimerReplacement {
    assertTimersOf(tenant, ticketId, timers);
    const known = this.#revisions.get(key(tenant, ticketId));
    if (known !== undefined && revision < known) return { removed: 0, scheduled: 0, stale: true };
    // No await in between: the removal and the new timers are one step for every caller sharing the store.
    const removed = this.#cancel(tenant, ticketId, revision);
    let scheduled = 0;
    for (const t of timers) if (this.#schedule({ ...t, revision })) scheduled++;
    return { removed, scheduled, stale: false };
  }

  async claimDue(now: number, limit: number, leaseMs = DEFAULT_TIMER_LEASE_MS): Promise<SlaTimer[]> {
    const max = Math.max(1, limit);
    const expired = [...this.#inFlight.values()]
      .filter((f) => f.until <= now)
      .map((f) => f.timer)
      .sort(byDue)
      .slice(0, max);
    const due = [...this.#pending.values()]
      .filter((t) => t.dueAt <= now)
      .sort(byDue)
      .slice(0, max - expired.length);
    for (const t of due) this.#pending.delete(key(t.tenant, t.id));
    const claimed = [...expired, ...due];
    for (const t of claimed) this.#inFlight.set(key(t.tenant, t.id), { timer: t, until: now + leaseMs });
    for (const [k, at] of this.#fired) if (at < now - this.#retention) this.#fired.delete(k);
    return claimed.map((t) => structuredClone(t));
  }

  async ack(timers: readonly TimerRef[], now: number): Promise<number> {
    let acked = 0;
    for (const t of timers) {
      const k = key(t.tenant, t.id);
      if (!this.#inFlight.delete(k)) continue;
      this.#fired.set(k, now);
      acked++;
    }
    return acked;
  }

  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const t of this.#pending.values()) if (next === undefined || t.dueAt < next) next = t.dueAt;
    for (const f of this.#inFlight.values()) if (next === undefined || f.until < next) next = f.until;
    return next;
  }

  async firedAt(tenant: string, ids: readonly string[]): Promise<(number | undefined)[]> {
    return ids.map((id) => this.#fired.get(key(tenant, id)));
  }

  /** Number of pending timers (for tests and health output). */
  get size(): number {
    return this.#pending.size;
  }

  /** Number of timers claimed and not yet acked. */
  get inFlight(): number {
    return this.#inFlight.size;
  }
}
