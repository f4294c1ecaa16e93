/**
 * Every breaker of one control instance, by id: CTI nodes (`cti:<node>`),
 * diversion channels (`channel:<name>`) and Sluice's own dependencies
 * (`clickhouse-sink`, `workflow-notifier`). Peers share breaker state as the
 * serialised machine state (not as forced transitions): a remote state newer
 * than the local one (by the time it was entered) replaces it, keeping this
 * instance's window of outcomes. Sharing `until` this way also gives every
 * instance the same half-open trial, hence one fleet-wide probe budget.
 */
import type { Clock } from '../../adapters/clock.js';
import type { BreakerSnapshot, BreakerTransition } from '../breaker/api.js';
import { CircuitBreaker } from '../breaker/breaker.js';
import type { BreakerConfig } from '../breaker/config.js';
import type { BreakerState, BreakerStateName } from '../breaker/machine.js';
import type { ProbeBudget } from '../breaker/probe-budget.js';
import { parseBreakerState } from '../breaker/state-json.js';
import { Emitter } from '../events.js';
import type { Listener, Observable } from '../events.js';
import type { Random } from '../types.js';

/** Dependency breaker ids. */
export const DEPENDENCY_BREAKERS = Object.freeze({ clickhouseSink: 'clickhouse-sink', workflowNotifier: 'workflow-notifier' });

/** A transition, local (this instance's evidence) or applied from a peer. */
export interface RegistryTransition extends BreakerTransition {
  readonly source: 'local' | 'peer';
}

/** Events of the registry. */
export interface RegistryEvents {
  transition: RegistryTransition;
}

/** Registry options. */
export interface BreakerRegistryOptions {
  readonly clock: Clock;
  readonly random?: Random;
  /** Shared (fleet-wide) or local probe budget for every breaker. */
  readonly probeBudget?: ProbeBudget;
  /** Config per breaker id (default: the core's defaults). */
  readonly configFor?: (id: string) => Partial<BreakerConfig> | undefined;
}

/** See the module comment. */
export class BreakerRegistry implements Observable<RegistryEvents> {
  readonly #o: BreakerRegistryOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #off = new Map<string, () => void>();
  readonly #events = new Emitter<RegistryEvents>();

  /**
   * @param ids breaker ids to create
   * @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad breaker config
   */
  constructor(ids: Iterable<string>, options: BreakerRegistryOptions) {
    this.#o = options;
    for (const id of new Set(ids)) this.#attach(new CircuitBreaker(this.#options(id)));
  }

  /** The breaker `id`, or undefined. Do not keep the reference: a peer's state replaces the object. */
  get(id: string): CircuitBreaker | undefined {
    return this.#breakers.get(id);
  }

  /** State of `id`; 'closed' for an id without a breaker (the router's convention). */
  stateOf(id: string): BreakerStateName {
    return this.#breakers.get(id)?.state ?? 'closed';
  }

  /** Every id. */
  ids(): string[] {
    return [...this.#breakers.keys()];
  }

  /** Snapshots of every breaker. */
  snapshots(): BreakerSnapshot[] {
    return [...this.#breakers.values()].map((b) => b.snapshot());
  }

  /**
   * Applies a peer's machine state when it is newer than the local one (entered
   * later; at the same millisecond the more severe state wins, then the greater
   * instance tag, so every instance settles on the same state) and is not the
   * same trial or open period already held here.
   * @param origin the peer's tag
   * @param self this instance's tag
   * @returns whether the local state was replaced
   */
  applyRemote(id: string, remote: unknown, origin: string, self: string): boolean {
    const b = this.#breakers.get(id);
    if (b === undefined) return false;
    let r: BreakerState;
    try {
      r = parseBreakerState(remote);
    } catch {
      return false;
    }
    const local = b.machineState;
    if (!newer(r, origin, local, self) || sameEpisode(local, r)) return false;
    const gen = Math.max(local.gen, r.gen) + 1;
    const state: BreakerState = r.name === 'half-open' ? { ...r, gen, admitted: 0, successes: 0 } : { ...r, gen };
    const next = CircuitBreaker.restore({ ...b.toJSON(), state }, this.#options(id));
    this.#off.get(id)?.();
    b.dispose();
    this.#attach(next);
    if (this.#events.has('transition')) {
      const until = r.name === 'closed' || r.name === 'half-open' ? {} : { until: r.until };
      this.#events.emit('transition', { breakerId: id, from: local.name, to: r.name, reason: `${r.reason} (from ${origin})`, at: this.#o.clock.now(), k: r.k, ...until, source: 'peer' });
    }
    return true;
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). */
  on<K extends keyof RegistryEvents & string>(name: K, listener: Listener<RegistryEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** Cancels every breaker's timer. */
  dispose(): void {
    for (const off of this.#off.values()) off();
    for (const b of this.#breakers.values()) b.dispose();
  }

  #options(id: string) {
    const o = this.#o;
    return {
      id,
      clock: o.clock,
      ...(o.random === undefined ? {} : { random: o.random }),
      ...(o.probeBudget === undefined ? {} : { probeBudget: o.probeBudget }),
      ...(o.configFor?.(id) === undefined ? {} : { config: o.configFor(id)! }),
    };
  }

  #attach(b: CircuitBreaker): void {
    this.#breakers.set(b.id, b);
    this.#off.set(
      b.id,
      b.on('transition', (t) => this.#events.emit('transition', { ...t, source: 'local' })),
    );
  }
}

const SEVERITY: Readonly<Record<BreakerStateName, number>> = { closed: 0, 'half-open': 1, open: 2, 'forced-closed': 3, 'forced-open': 4 };

/** Total order of states across the fleet: entry time, then severity, then instance tag. */
function newer(r: BreakerState, origin: string, l: BreakerState, self: string): boolean {
  if (r.since !== l.since) return r.since > l.since;
  if (r.name !== l.name) return SEVERITY[r.name] > SEVERITY[l.name];
  return origin > self;
}

/** Same trial, same open or forced period, or both closed: nothing to apply. */
function sameEpisode(a: BreakerState, b: BreakerState): boolean {
  if (a.name !== b.name) return false;
  switch (a.name) {
    case 'closed':
      return true;
    case 'half-open':
      return b.name === 'half-open' && a.trial === b.trial;
    default:
      return (b as { until: number }).until === a.until;
  }
}
