import type { SlaTimer, TimerStore } from './timer-store.js';

const DAY_MS = 86_400_000;

/** Options of {@link MemoryTimerStore}. */
export interface MemoryTimerStoreOptions {
  /** How long a fired id is remembered so re-scheduling it is ignored, ms (default 30 days). */
  readonly firedRetentionMs?: number;
}

const key = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

/**
 * The in-memory {@link TimerStore}: one process, no persistence. Every method runs without
 * an await in between, which makes `claimDue` atomic for all callers sharing the instance.
 */
export class MemoryTimerStore implements TimerStore {
  readonly #pending = new Map<string, SlaTimer>();
  readonly #fired = new Map<string, number>();
  readonly #revisions = new Map<string, number>();
  readonly #retention: number;

  /** @param options retention of fired marks */
  constructor(options: MemoryTimerStoreOptions = {}) {
    this.#retention = options.firedRetentionMs ?? 30 * DAY_MS;
  }

  async schedule(timer: SlaTimer): Promise<boolean> {
    const k = key(timer.tenant, timer.id);
    if (this.#fired.has(k)) return false;
    const known = this.#revisions.get(key(timer.tenant, timer.ticketId));
    if (known !== undefined && timer.revision < known) return false;
    this.#pending.set(k, structuredClone(timer));
    return true;
  }

  async cancel(tenant: string, ticketId: string, revision?: number): Promise<number> {
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

  async claimDue(now: number, limit: number): Promise<SlaTimer[]> {
    const due = [...this.#pending.values()]
      .filter((t) => t.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt || a.id.localeCompare(b.id))
      .slice(0, Math.max(1, limit));
    for (const t of due) {
      const k = key(t.tenant, t.id);
      this.#pending.delete(k);
      this.#fired.set(k, now);
    }
    for (const [k, at] of this.#fired) if (at < now - this.#retention) this.#fired.delete(k);
    return due;
  }

  async nextDueAt(): Promise<number | undefined> {
    let next: number | undefined;
    for (const t of this.#pending.values()) if (next === undefined || t.dueAt < next) next = t.dueAt;
    return next;
  }

  /** Number of pending timers (for tests and health output). */
  get size(): number {
    return this.#pending.size;
  }
}
