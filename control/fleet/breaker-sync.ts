/**
 * Breaker state across instances: every local transition (tripped here,
 * closed by probes here, forced by an operator here, or a time-driven step)
 * is written to the breaker's key and published; peers apply it through
 * {@link BreakerRegistry.applyRemote}, which keeps only states newer than their
 * own. When the store comes back after an outage, {@link BreakerSync.reconcile}
 * reads every key, applies what is newer there, and writes back what is newer here.
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import type { BreakerState } from '../breaker/machine.js';
import type { BreakerRegistry } from '../runtime/breakers.js';
import { Subscriptions, bounded } from './guard.js';
import { KEYS, breakerKey } from './keys.js';

/** A breaker's shared state. */
export interface BreakerMessage {
  readonly v: 1;
  readonly origin: string;
  readonly id: string;
  readonly state: BreakerState;
}

/** Options of {@link BreakerSync}. */
export interface BreakerSyncOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly self: string;
  readonly registry: BreakerRegistry;
  readonly timeoutMs: number;
  /** Lifetime of a stored state, ms (default 24 h). */
  readonly ttlMs?: number;
  readonly onError: (what: string, err: unknown) => void;
}

function parse(raw: string | null): BreakerMessage | null {
  if (raw === null) return null;
  try {
    const m = JSON.parse(raw) as BreakerMessage;
    return m?.v === 1 && typeof m.id === 'string' && typeof m.origin === 'string' && typeof m.state === 'object' ? m : null;
  } catch {
    return null;
  }
}

/** See the module comment. */
export class BreakerSync {
  readonly #options: BreakerSyncOptions;
  readonly #ttl: number;
  readonly #dirty = new Set<string>();
  readonly #subs = new Subscriptions();
  #off: (() => void) | undefined;

  constructor(options: BreakerSyncOptions) {
    this.#options = options;
    this.#ttl = options.ttlMs ?? 86_400_000;
  }

  /** Subscribes to peers' states (without waiting for a store that is down) and starts sharing local transitions. */
  start(): void {
    this.#off ??= this.#options.registry.on('transition', (t) => {
      if (t.source === 'local') void this.#share(t.breakerId);
    });
    this.#subs.add(
      this.#options.store.subscribe(KEYS.breakersChannel, (raw) => this.#onMessage(raw)),
      (err) => this.#options.onError('subscribe', err),
    );
  }

  /** Stops sharing. */
  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
    await this.#subs.close(this.#options.clock, this.#options.timeoutMs);
  }

  /** Re-reads every breaker's stored state and writes back local states that are newer. Throws when the store fails. */
  async reconcile(): Promise<void> {
    const { store, clock, timeoutMs, registry, self } = this.#options;
    for (const id of registry.ids()) {
      const stored = parse(await bounded(clock, timeoutMs, 'read breaker', () => store.get(breakerKey(id))));
      if (stored !== null && stored.origin !== self) registry.applyRemote(id, stored.state, stored.origin, self);
      const local = registry.get(id)?.machineState;
      if (local === undefined) continue;
      const newer = stored === null ? local.name !== 'closed' || local.reason !== 'initial' : local.since > stored.state.since;
      if (newer || this.#dirty.has(id)) await this.#write(id);
      this.#dirty.delete(id);
    }
  }

  async #share(id: string): Promise<void> {
    try {
      await this.#write(id);
    } catch (err) {
      this.#dirty.add(id);
      this.#options.onError('share breaker', err);
    }
  }

  async #write(id: string): Promise<void> {
    const state = this.#options.registry.get(id)?.machineState;
    if (state === undefined) return;
    const { store, clock, timeoutMs, self } = this.#options;
    const json = JSON.stringify({ v: 1, origin: self, id, state } satisfies BreakerMessage);
    await bounded(clock, timeoutMs, 'write breaker', () => store.set(breakerKey(id), json, this.#ttl));
    await bounded(clock, timeoutMs, 'publish breaker', () => store.publish(KEYS.breakersChannel, json));
  }

  #onMessage(raw: string): void {
    const m = parse(raw);
    if (m === null || m.origin === this.#options.self) return;
    this.#options.registry.applyRemote(m.id, m.state, m.origin, this.#options.self);
  }
}
