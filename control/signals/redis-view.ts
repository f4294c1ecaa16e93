/**
 * Queue snapshots through the StateStore, for split roles. The pipeline role
 * runs a {@link SnapshotPublisher}: every period it merges its snapshots into
 * one map per tenant (field = skill group, value = JSON; several pipeline
 * workers fill disjoint fields of the same key) with a TTL, and records the
 * tenant in an index map. The control role reads them with a
 * {@link StateStoreRealtimeView}, refreshed at the start of each control tick;
 * when the store is unreachable it keeps its last contents, which the signal
 * source then ignores once they are older than its staleness bound.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import { bounded } from '../fleet/guard.js';
import { KEYS, snapshotKey } from '../fleet/keys.js';
import { snapshotProblem, type QueueSnapshot } from '../../core/messages.js';
import type { RealtimeView } from './snapshot.js';

/** Options of {@link SnapshotPublisher}. */
export interface SnapshotPublisherOptions {
  readonly store: StateStore;
  /** The pipelines' in-process view. */
  readonly view: RealtimeView;
  readonly clock: Clock;
  /** Publish period, ms (default 1000). */
  readonly periodMs?: number;
  /** Lifetime of a tenant's map, ms (default 15 000). */
  readonly ttlMs?: number;
  /** Longest wait for the store, ms (default 1000). */
  readonly timeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

/** See the module comment. */
export class SnapshotPublisher {
  readonly #options: SnapshotPublisherOptions;
  #timer: TimerHandle | undefined;

  constructor(options: SnapshotPublisherOptions) {
    this.#options = options;
  }

  /** Publishes the current snapshots once. Throws when the store fails. */
  async publishOnce(): Promise<void> {
    const { store, clock } = this.#options;
    const ttl = this.#options.ttlMs ?? 15_000;
    const timeout = this.#options.timeoutMs ?? 1_000;
    const byTenant = new Map<string, { fields: Record<string, string>; asOf: number }>();
    for (const s of this.#options.view.snapshots()) {
      let t = byTenant.get(s.tenant);
      if (t === undefined) byTenant.set(s.tenant, (t = { fields: {}, asOf: 0 }));
      t.fields[s.skillGroup] = JSON.stringify(s);
      t.asOf = Math.max(t.asOf, s.asOf);
    }
    for (const [tenant, t] of byTenant) {
      await bounded(clock, timeout, 'publish snapshots', () => store.setFields(snapshotKey(tenant), t.fields, ttl));
    }
    if (byTenant.size > 0) {
      const index = Object.fromEntries([...byTenant].map(([tenant, t]) => [tenant, String(t.asOf)]));
      await bounded(clock, timeout, 'publish snapshot index', () => store.setFields(KEYS.snapshotTenants, index, 86_400_000));
    }
  }

  /** Publishes every period until {@link stop}. */
  start(): void {
    if (this.#timer !== undefined) return;
    const arm = () => {
      this.#timer = this.#options.clock.setTimeout(() => {
        this.publishOnce()
          .catch((err: unknown) => this.#options.onError?.(err))
          .finally(() => {
            if (this.#timer !== undefined) arm();
          });
      }, this.#options.periodMs ?? 1_000);
    };
    arm();
  }

  /** Stops publishing. */
  stop(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** Options of {@link StateStoreRealtimeView}. */
export interface StateStoreViewOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** Tenants whose newest snapshot is older than this are not read, ms (default 15 000). */
  readonly staleMs?: number;
  /** Longest wait for the store, ms (default 250). */
  readonly timeoutMs?: number;
}

/** See the module comment. */
export class StateStoreRealtimeView implements RealtimeView {
  readonly #options: StateStoreViewOptions;
  #cache: QueueSnapshot[] = [];
  #rejected = 0;

  constructor(options: StateStoreViewOptions) {
    this.#options = options;
  }

  /** {@inheritDoc RealtimeView.refresh} Throws when the store fails (the last contents are kept). */
  async refresh(): Promise<void> {
    const { store, clock } = this.#options;
    const timeout = this.#options.timeoutMs ?? 250;
    const now = clock.now();
    const index = await bounded(clock, timeout, 'read snapshot index', () => store.getFields(KEYS.snapshotTenants));
    const next: QueueSnapshot[] = [];
    for (const [tenant, asOf] of Object.entries(index)) {
      if (now - Number(asOf) > (this.#options.staleMs ?? 15_000)) continue;
      const fields = await bounded(clock, timeout, 'read snapshots', () => store.getFields(snapshotKey(tenant)));
      for (const raw of Object.values(fields)) {
        let s: unknown;
        try {
          s = JSON.parse(raw);
        } catch {
          s = null;
        }
        if (snapshotProblem(s) === null && (s as QueueSnapshot).tenant === tenant) next.push(s as QueueSnapshot);
        else this.#rejected += 1;
      }
    }
    this.#cache = next;
  }

  /** {@inheritDoc RealtimeView.snapshots} */
  snapshots(): readonly QueueSnapshot[] {
    return this.#cache;
  }

  /** Malformed snapshots skipped so far. */
  get rejected(): number {
    return this.#rejected;
  }
}
