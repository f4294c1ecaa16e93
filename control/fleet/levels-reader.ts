/**
 * The control fleet's levels and policies as a process without the control loop sees them (a reporting or
 * pipeline instance serving reports and wallboards): it reads the level state the leader publishes
 * (`control:levels`, every tick) and the policies (`control:policies`, reloaded when a peer publishes a change
 * and every `policyEveryMs`), and answers {@link NonCriticalGate} from them. Read-only: it never publishes,
 * takes no lease and adopts nothing.
 *
 * A published state that stops advancing (no leader for `staleMs`) or a store that stays unreachable that long
 * is treated as unknown, and nothing is slowed: non-critical work is only ever slowed on fresh advice.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import { gateOf, NEVER_SLOW, type NonCriticalGate } from '../../core/non-critical.js';
import { checkNumber } from '../errors.js';
import { DEFAULT_POLICY } from '../policy/defaults.js';
import { slowedTenants, type ScopeLevelOf } from '../policy/non-critical.js';
import type { TenantPolicy } from '../policy/schema.js';
import { bounded } from './guard.js';
import { KEYS } from './keys.js';
import { readLevelsMessage } from './levels-sync.js';
import { StateStorePolicyStore } from './policy-store.js';

/** Options of {@link SharedNonCriticalGate}. Durations in ms. */
export interface SharedNonCriticalGateOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** How often the published levels are read (default 1000, the control tick). */
  readonly pollMs?: number;
  /** Levels that have not advanced for this long are unknown (default 15 000, three leases). */
  readonly staleMs?: number;
  /** How often every policy is read again besides the change messages (default 30 000). */
  readonly policyEveryMs?: number;
  /** Longest wait for one store call (default 250). */
  readonly timeoutMs?: number;
  /** Told of a failed read or an unreadable published state (the last good state is kept until stale). */
  readonly onError?: (what: string, err: unknown) => void;
}

/** See the module comment. */
export class SharedNonCriticalGate implements NonCriticalGate {
  readonly #o: SharedNonCriticalGateOptions;
  readonly #pollMs: number;
  readonly #staleMs: number;
  readonly #policyEveryMs: number;
  readonly #timeoutMs: number;
  readonly #policyStore: StateStorePolicyStore;
  readonly #policies = new Map<string, TenantPolicy>();
  #levels: readonly ScopeLevelOf[] = [];
  #gate: NonCriticalGate = NEVER_SLOW;
  /** The last published state seen, and when it last advanced. */
  #seen: { leader: string; epoch: number; seq: number; advancedAt: number } | null = null;
  #policiesAt = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming a bad option */
  constructor(options: SharedNonCriticalGateOptions) {
    this.#o = options;
    this.#pollMs = checkNumber('nonCritical.pollMs', options.pollMs ?? 1_000, { int: true, min: 1 });
    this.#staleMs = checkNumber('nonCritical.staleMs', options.staleMs ?? 15_000, { int: true, min: 1 });
    this.#policyEveryMs = checkNumber('nonCritical.policyEveryMs', options.policyEveryMs ?? 30_000, { int: true, min: 1 });
    this.#timeoutMs = checkNumber('nonCritical.timeoutMs', options.timeoutMs ?? 250, { int: true, min: 1 });
    this.#policyStore = new StateStorePolicyStore({ store: options.store, clock: options.clock, timeoutMs: this.#timeoutMs });
  }

  /** {@inheritDoc NonCriticalGate.slow} */
  slow(tenant: string | undefined): boolean {
    const seen = this.#seen;
    if (seen === null || this.#o.clock.now() - seen.advancedAt > this.#staleMs) return false;
    return this.#gate.slow(tenant);
  }

  /** Reads at once, then every `pollMs`; follows policy changes. */
  start(): void {
    this.#policyStore.on('change', (r) => {
      this.#policies.set(r.tenant, r.current.policy);
      this.#recompute();
    });
    this.#policyStore.start();
    this.#schedule(0);
  }

  /** Stops reading (waits for a read in flight). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    await this.#running;
    await this.#policyStore.stop();
  }

  /** One read of the published levels (and of every policy when due). Never throws: failures go to `onError`. */
  async poll(): Promise<void> {
    const { store, clock } = this.#o;
    const now = clock.now();
    if (now - this.#policiesAt >= this.#policyEveryMs) {
      try {
        const records = await this.#policyStore.all();
        this.#policies.clear();
        for (const r of records) this.#policies.set(r.tenant, r.current.policy);
        this.#policiesAt = now;
      } catch (err) {
        this.#o.onError?.('read policies', err);
      }
    }
    let raw: string | null;
    try {
      raw = await bounded(clock, this.#timeoutMs, 'read levels', () => store.get(KEYS.levels));
    } catch (err) {
      this.#o.onError?.('read levels', err);
      return;
    }
    if (raw !== null) this.#consider(raw, now);
  }

  #consider(raw: string, now: number): void {
    const m = readLevelsMessage(raw);
    if (m === undefined) {
      this.#o.onError?.('parse levels', new Error('not a levels message of version 1'));
      return;
    }
    const s = this.#seen;
    if (s === null || s.leader !== m.leader || s.epoch !== m.epoch || s.seq !== m.seq) {
      this.#seen = { leader: m.leader, epoch: m.epoch, seq: m.seq, advancedAt: now };
    }
    this.#levels = m.scopes;
    this.#recompute();
  }

  #recompute(): void {
    this.#gate = gateOf(slowedTenants(this.#levels, (t) => this.#policies.get(t) ?? DEFAULT_POLICY));
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.poll().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#pollMs);
      });
    }, ms);
  }
}
