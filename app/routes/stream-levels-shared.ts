/**
 * The control loop's levels for a process that runs no control loop (roles split): read from the state
 * store, where the control leader writes its whole level state each tick and announces it on a channel
 * (`control/fleet/levels-sync.ts`). A {@link StoreLevelSource} takes each announcement as it comes and
 * reads the stored state every poll period too (announcements missed while the store was away, a
 * subscription that is not up yet), so the stream and the wallboard of any instance carry the level.
 */
import type { Clock, TimerHandle } from '../../adapters/clock.js';
import { bounded } from '../../adapters/state/bounded.js';
import type { StateStore } from '../../adapters/state/types.js';
import { CONTROL_KEYS, readLevelsMessage, type PublishedLevels } from '../../control/index.js';
import type { LevelSource, ScopeLevel } from './stream-levels.js';

/** Options of {@link StoreLevelSource}. */
export interface StoreLevelSourceOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** How often the stored state is read besides the announcements, ms (default 2000). */
  readonly pollMs?: number;
  /** Longest wait for the store, ms (default 1000). */
  readonly timeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

/** The scopes of a published level state, by tenant; undefined when it is not one. */
function parse(raw: string): { msg: PublishedLevels; byTenant: Map<string, ScopeLevel[]> } | undefined {
  const msg = readLevelsMessage(raw);
  if (msg === undefined) return undefined;
  const byTenant = new Map<string, ScopeLevel[]>();
  for (const scope of msg.scopes) {
    let list = byTenant.get(scope.tenant);
    if (list === undefined) byTenant.set(scope.tenant, (list = []));
    list.push(scope);
  }
  return { msg, byTenant };
}

/** See the module comment. */
export class StoreLevelSource implements LevelSource {
  readonly #o: StoreLevelSourceOptions;
  readonly #listeners = new Set<(tenant: string) => void>();
  #byTenant = new Map<string, ScopeLevel[]>();
  #seen: { leader: string; epoch: number; seq: number; at: number } | undefined;
  #timer: TimerHandle | undefined;
  #unsubscribe: Promise<(() => Promise<void>) | undefined> | undefined;

  constructor(options: StoreLevelSourceOptions) {
    this.#o = options;
  }

  /** {@inheritDoc LevelSource.levels} */
  levels(tenant: string | undefined): readonly ScopeLevel[] {
    if (tenant !== undefined) return this.#byTenant.get(tenant) ?? [];
    return [...this.#byTenant.values()].flat();
  }

  /** {@inheritDoc LevelSource.onChange} */
  onChange(listener: (tenant: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Takes a published level state when it is newer than the one held: a higher epoch, or the same
   * leader's higher sequence number, or anything once the held one is older than three poll periods
   * (a new leader, a restarted store). Returns whether it did.
   */
  consider(raw: string): boolean {
    const parsed = parse(raw);
    if (parsed === undefined) return false;
    const { msg, byTenant } = parsed;
    const now = this.#o.clock.now();
    const s = this.#seen;
    const newer =
      s === undefined ||
      msg.epoch > s.epoch ||
      (msg.leader === s.leader && msg.epoch === s.epoch && msg.seq > s.seq) ||
      now - s.at > 3 * (this.#o.pollMs ?? 2_000);
    if (!newer) return false;
    this.#seen = { leader: msg.leader, epoch: msg.epoch, seq: msg.seq, at: now };
    const changed: string[] = [];
    for (const [t, list] of byTenant) if (JSON.stringify(list) !== JSON.stringify(this.#byTenant.get(t))) changed.push(t);
    for (const t of this.#byTenant.keys()) if (!byTenant.has(t)) changed.push(t);
    this.#byTenant = byTenant;
    for (const t of changed) for (const l of this.#listeners) l(t);
    return true;
  }

  /** Reads the stored state once. Throws when the store fails (the levels held are kept). */
  async pull(): Promise<void> {
    const { store, clock } = this.#o;
    const raw = await bounded(clock, this.#o.timeoutMs ?? 1_000, 'read levels', () => store.get(CONTROL_KEYS.levels));
    if (raw !== null) this.consider(raw);
  }

  /** Subscribes (without waiting for a store that is down) and reads the stored state every poll period, the first at once. */
  start(): void {
    if (this.#timer !== undefined) return;
    const onError = (err: unknown) => this.#o.onError?.(err);
    this.#unsubscribe = this.#o.store
      .subscribe(CONTROL_KEYS.levelsChannel, (m) => this.consider(m))
      .catch((err: unknown) => {
        onError(err);
        return undefined;
      });
    const run = () => {
      this.pull()
        .catch(onError)
        .finally(() => {
          if (this.#timer !== undefined) this.#timer = this.#o.clock.setTimeout(run, this.#o.pollMs ?? 2_000);
        });
    };
    this.#timer = this.#o.clock.setTimeout(run, 0);
  }

  /** Stops polling and unsubscribes. Never throws. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#unsubscribe;
    this.#unsubscribe = undefined;
    await bounded(this.#o.clock, this.#o.timeoutMs ?? 1_000, 'unsubscribe', async () => (await pending)?.()).catch(() => {});
  }
}
