import type { Clock, TimerHandle } from '../../adapters/clock.js';
import { isSluiceError } from '../../core/errors.js';
import { Emitter, type Listener } from '../../core/emitter.js';
import type { DirectoryChange } from '../people/directory.js';
import type { WorkflowEngine } from './engine.js';

/** One retry of a ticket's assignment: whether it found someone. */
export interface AssignmentRetry {
  readonly tenant: string;
  /** `assigned`: someone took a todo; `waiting`: still nobody; `failed`: the write failed (retried next sweep). */
  readonly result: 'assigned' | 'waiting' | 'failed';
  /** What started it: a directory change, a person leaving, or the periodic sweep. */
  readonly cause: 'change' | 'left' | 'sweep';
}

/** Events of {@link AssignmentKeeper}. */
export interface AssignmentKeeperEvents {
  retry: AssignmentRetry;
  /** A sweep or a release failed as a whole (the store unreachable); it runs again later. */
  error: unknown;
}

/** Options of {@link AssignmentKeeper}. */
export interface AssignmentKeeperOptions {
  readonly engine: WorkflowEngine;
  /** Where directory changes come from (the people directory). */
  readonly directory: { on(event: 'change', listener: Listener<DirectoryChange>): () => void };
  readonly clock: Clock;
  /** Tenants swept periodically (tenants whose directory changes are swept too). */
  readonly tenants: readonly string[];
  /** Time between periodic sweeps, ms (default 60 000). */
  readonly intervalMs?: number;
  /** Most tickets one sweep or release of one tenant retries (default 200); the next sweep goes on from there. */
  readonly maxTicketsPerRun?: number;
}

/**
 * Keeps todos assigned while the directory changes: a change re-runs assignment for the
 * tenant's waiting (unassigned) todos; a person who leaves (deleted, made inactive) has their
 * open todos taken away and given to someone else; and a periodic sweep on the injected clock
 * retries every tenant's waiting todos, so a todo assigned to nobody is retried even when the
 * change happened on another instance. Every run is bounded (`maxTicketsPerRun` tickets per
 * tenant) and runs one at a time per tenant; a retry that finds nobody writes nothing.
 */
export class AssignmentKeeper {
  readonly #o: AssignmentKeeperOptions;
  readonly #events = new Emitter<AssignmentKeeperEvents>();
  readonly #tenants: Set<string>;
  /** Work queued per tenant, run one at a time. */
  readonly #chains = new Map<string, Promise<void>>();
  /** Where the periodic sweep of each tenant goes on from. */
  readonly #cursors = new Map<string, string>();
  /** Tenants with a change sweep queued but not started (changes in a burst coalesce into one). */
  readonly #queued = new Set<string>();
  #timer: TimerHandle | undefined;
  #off: (() => void) | undefined;
  #running = false;

  /** @param options engine, directory, clock, tenants and bounds */
  constructor(options: AssignmentKeeperOptions) {
    this.#o = options;
    this.#tenants = new Set(options.tenants);
  }

  /** Subscribes to `retry` or `error`; returns the unsubscribe function. */
  on<K extends keyof AssignmentKeeperEvents>(event: K, listener: Listener<AssignmentKeeperEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  /** Listens to directory changes and starts the periodic sweep. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#off = this.#o.directory.on('change', (c) => this.#changed(c));
    this.#schedule();
  }

  /** Stops listening and sweeping; waits for work under way. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#off?.();
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    await this.idle();
  }

  /** Resolves when no work is queued or running. */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.all([...this.#chains.values()]);
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      for (const tenant of this.#tenants) void this.#enqueue(tenant, () => this.sweep(tenant, 'sweep'));
      this.#schedule();
    }, this.#o.intervalMs ?? 60_000);
  }

  #enqueue(tenant: string, work: () => Promise<unknown>): Promise<void> {
    const prev = this.#chains.get(tenant) ?? Promise.resolve();
    const next = prev
      .then(work)
      .then(
        () => undefined,
        (err) => this.#events.emit('error', err),
      )
      .finally(() => {
        if (this.#chains.get(tenant) === next) this.#chains.delete(tenant);
      });
    this.#chains.set(tenant, next);
    return next;
  }

  #changed(change: DirectoryChange): void {
    this.#tenants.add(change.tenant);
    for (const person of change.left) void this.#enqueue(change.tenant, () => this.release(change.tenant, person));
    if (this.#queued.has(change.tenant)) return;
    this.#queued.add(change.tenant);
    void this.#enqueue(change.tenant, () => {
      this.#queued.delete(change.tenant);
      return this.sweep(change.tenant, 'change', true);
    });
  }

  async #retry(
    tenant: string,
    cause: AssignmentRetry['cause'],
    run: () => Promise<{ events: readonly { type: string }[] }>,
  ): Promise<AssignmentRetry['result']> {
    let result: AssignmentRetry['result'];
    try {
      const { events } = await run();
      result = events.some((e) => e.type === 'todo.assigned') ? 'assigned' : 'waiting';
    } catch (err) {
      // Another write got there first, or the ticket went: the next sweep sees it as it is now.
      if (!isSluiceError(err)) throw err;
      result = 'failed';
    }
    this.#events.emit('retry', { tenant, result, cause });
    return result;
  }

  /**
   * Retries assignment of the tenant's waiting tickets: at most `maxTicketsPerRun`, from where
   * the last periodic sweep stopped (or from the start).
   *
   * @param fromStart start from the oldest waiting ticket (a change: everything may have become assignable)
   * @returns tickets retried
   */
  async sweep(tenant: string, cause: AssignmentRetry['cause'] = 'sweep', fromStart = false): Promise<number> {
    const max = this.#o.maxTicketsPerRun ?? 200;
    let cursor = fromStart ? undefined : this.#cursors.get(tenant);
    let done = 0;
    while (done < max) {
      const page = await this.#o.engine.list(tenant, { unassigned: true }, cursor, Math.min(100, max - done));
      for (const t of page.items) await this.#retry(tenant, cause, () => this.#o.engine.assignPending(tenant, t.id));
      done += page.items.length;
      cursor = page.nextCursor;
      if (cursor === undefined) break;
    }
    if (cursor === undefined) this.#cursors.delete(tenant);
    else this.#cursors.set(tenant, cursor);
    return done;
  }

  /**
   * Gives a departed person's open todos to someone else: at most `maxTicketsPerRun` tickets a
   * run; the next run goes on from the cursor (so a person a spec names by id, given the todo back,
   * cannot keep it looping).
   *
   * @returns tickets released
   */
  async release(tenant: string, personId: string, cursor?: string): Promise<number> {
    const max = this.#o.maxTicketsPerRun ?? 200;
    const page = await this.#o.engine.list(tenant, { assignee: personId }, cursor, Math.min(max, 500));
    let released = 0;
    for (const t of page.items) {
      const r = await this.#retry(tenant, 'left', () => this.#o.engine.releaseAssignee(tenant, t.id, personId, 'left or became inactive'));
      if (r !== 'failed') released++;
    }
    // More to do, and this pass made progress: go on (a pass that released nothing leaves the rest to the next change).
    const next = page.nextCursor;
    if (next !== undefined && released > 0) void this.#enqueue(tenant, () => this.release(tenant, personId, next));
    return released;
  }
}
