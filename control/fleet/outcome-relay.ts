/**
 * Outcomes across instances (issue 16): an instance that receives the outcome of
 * a decision another instance made claims it once fleet-wide, then hands it to
 * the deciding instance over its own channel, where it is applied like an
 * outcome reported there (permits, concurrency slot, throttle). Nothing here
 * is on the routing path; every call is bounded (`guard.ts`).
 *
 * - claim: `incrBy(control:outcome:<prefix>-<n>, 1, ttl)` — the first report makes it 1,
 *   every repeat anywhere sees more (Redis `INCR` + `PEXPIRE` in one script, like `SET NX`);
 * - hand over: `publish(control:outcomes:<prefix>, …)`, whose answer counts the
 *   subscribers reached: 0 means the deciding instance is gone (its slot died with it),
 *   and the receiving instance counts the evidence itself.
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import { MAX_OUTCOME_LATENCY_MS, isOutcomeKind, toOutcome } from '../outcome.js';
import type { RouteOutcome } from '../outcome.js';
import { Subscriptions, bounded } from './guard.js';
import { outcomeChannel, outcomeKey } from './keys.js';

/**
 * An outcome on its way to the deciding instance. `outcome` is its kind; `success` and `latencyMs` its legacy
 * form, still sent so an instance of the previous release (which reads only those) takes it during a rolling upgrade.
 */
export interface RelayedOutcome {
  readonly v: 1;
  readonly id: string;
  readonly success: boolean;
  readonly latencyMs: number;
  readonly outcome?: RouteOutcome['outcome'];
}

/** Options of {@link OutcomeRelay}. */
export interface OutcomeRelayOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly timeoutMs: number;
  /** This instance's id prefix: the channel it listens on. */
  readonly prefix: string;
  /** Applies an outcome handed over by a peer (the deciding instance's own path). */
  readonly onOutcome: (id: string, outcome: RouteOutcome) => void;
  readonly onError: (what: string, err: unknown) => void;
}

/** A relayed message, or null when it is not one (the channel is trusted, its content still checked). */
export function parseRelayed(raw: string): RelayedOutcome | null {
  if (typeof raw !== 'string' || raw.length > 1_000) return null;
  try {
    const m = JSON.parse(raw) as Partial<RelayedOutcome> | null;
    if (m === null || typeof m !== 'object' || m.v !== 1) return null;
    if (typeof m.id !== 'string' || m.id.length > 300 || typeof m.success !== 'boolean') return null;
    if (typeof m.latencyMs !== 'number' || !(m.latencyMs >= 0 && m.latencyMs <= MAX_OUTCOME_LATENCY_MS)) return null;
    if (m.outcome !== undefined && !isOutcomeKind(m.outcome)) return null;
    return { v: 1, id: m.id, success: m.success, latencyMs: m.latencyMs, ...(m.outcome === undefined ? {} : { outcome: m.outcome }) };
  } catch {
    return null;
  }
}

/** The outcome a relayed message carries (a message of the previous release carries only the legacy form). */
export function relayedOutcome(m: RelayedOutcome): RouteOutcome {
  return m.outcome === undefined
    ? toOutcome({ success: m.success, latencyMs: m.latencyMs })
    : { outcome: m.outcome, latencyMs: m.latencyMs };
}

/** See the module comment. */
export class OutcomeRelay {
  readonly #o: OutcomeRelayOptions;
  readonly #subs = new Subscriptions();
  #started = false;

  constructor(options: OutcomeRelayOptions) {
    this.#o = options;
  }

  /** Listens on this instance's channel (without waiting for a store that is down). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { store, prefix, onOutcome, onError } = this.#o;
    this.#subs.add(
      store.subscribe(outcomeChannel(prefix), (raw) => {
        const m = parseRelayed(raw);
        if (m === null) {
          onError('relayed outcome', new Error('malformed relayed outcome ignored'));
          return;
        }
        onOutcome(m.id, relayedOutcome(m));
      }),
      (err) => onError('subscribe outcomes', err),
    );
  }

  /** Stops listening: peers then see this instance as gone. */
  async stop(): Promise<void> {
    this.#started = false;
    await this.#subs.close(this.#o.clock, this.#o.timeoutMs);
  }

  /**
   * Claims decision `nonce` (`<prefix>-<n>`) for `ttlMs`.
   * @returns true for the first claim fleet-wide, false for a repeat
   * @throws when the store fails or does not answer in time
   */
  async claim(nonce: string, ttlMs: number): Promise<boolean> {
    const { store, clock, timeoutMs } = this.#o;
    return (await bounded(clock, timeoutMs, 'claim outcome', () => store.incrBy(outcomeKey(nonce), 1, ttlMs))) === 1;
  }

  /**
   * Hands an outcome to the instance with prefix `prefix`.
   * @returns how many instances heard it (0: it is gone)
   * @throws when the store fails or does not answer in time
   */
  forward(prefix: string, id: string, o: RouteOutcome): Promise<number> {
    const { store, clock, timeoutMs } = this.#o;
    const msg = JSON.stringify({
      v: 1,
      id,
      success: o.outcome === 'connected',
      latencyMs: o.latencyMs ?? 0,
      outcome: o.outcome,
    } satisfies RelayedOutcome);
    return bounded(clock, timeoutMs, 'forward outcome', () => store.publish(outcomeChannel(prefix), msg));
  }
}
