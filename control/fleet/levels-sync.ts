/**
 * Levels across instances. The leader publishes its whole level state each
 * tick (set + publish); followers adopt it when it comes from the leader they
 * follow with a higher sequence number, or from a newer epoch, or from anyone
 * once the last leader has been silent for a lease. Operator pins travel as
 * messages with an absolute end time: every instance applies them at once (the
 * leader's next state then carries them); a pin made while the store is
 * unreachable is sent when it returns.
 */
import type { Clock } from '../../adapters/clock.js';
import type { StateStore } from '../../adapters/state/types.js';
import type { Scope } from '../levels/controller.js';
import { scopeKey } from '../levels/controller.js';
import type { LevelControllerJSON } from '../levels/controller.js';
import type { LevelRuntime } from '../runtime/levels.js';
import type { Level } from '../types.js';
import { isLevel } from '../types.js';
import { Subscriptions, bounded } from './guard.js';
import { KEYS } from './keys.js';

/** What the leader publishes. */
export interface LevelsMessage {
  readonly v: 1;
  readonly leader: string;
  readonly epoch: number;
  readonly seq: number;
  readonly state: LevelControllerJSON;
}

/** One scope's level as a published state carries it. */
export interface PublishedScopeLevel {
  readonly tenant: string;
  readonly skillGroup?: string;
  readonly level: Level;
  /** When the scope entered its level, epoch ms. */
  readonly since: number;
  readonly reason: string;
  /** An operator pin holds it. */
  readonly pinned: boolean;
}

/** A published level state as a reader without the control loop takes it: who published it, and each scope's level. */
export interface PublishedLevels {
  readonly leader: string;
  readonly epoch: number;
  readonly seq: number;
  readonly scopes: readonly PublishedScopeLevel[];
}

/**
 * Reads what the leader stored or announced ({@link LevelsMessage}, JSON) for a process that only shows or
 * heeds the levels (the stream, the wallboard, the non-critical gate): undefined when it is not a levels
 * message of version 1; a malformed scope inside one is left out. Never throws.
 */
export function readLevelsMessage(raw: string): PublishedLevels | undefined {
  let m: LevelsMessage;
  try {
    m = JSON.parse(raw) as LevelsMessage;
  } catch {
    return undefined;
  }
  if (m?.v !== 1 || typeof m.leader !== 'string' || !Number.isInteger(m.epoch) || !Number.isInteger(m.seq)) return undefined;
  if (m.state?.v !== 1 || !Array.isArray(m.state.scopes)) return undefined;
  const scopes: PublishedScopeLevel[] = [];
  for (const item of m.state.scopes) {
    const scope = item?.scope;
    const st = item?.state;
    if (typeof scope?.tenant !== 'string' || (scope.skillGroup !== undefined && typeof scope.skillGroup !== 'string')) continue;
    if (!isLevel(st?.level) || typeof st.since !== 'number' || typeof st.reason !== 'string') continue;
    scopes.push({
      tenant: scope.tenant,
      ...(scope.skillGroup === undefined ? {} : { skillGroup: scope.skillGroup }),
      level: st.level,
      since: st.since,
      reason: st.reason,
      pinned: st.override !== null && st.override !== undefined,
    });
  }
  return { leader: m.leader, epoch: m.epoch, seq: m.seq, scopes };
}

/** An operator pin (or its early end) sent to every instance. */
export interface PinMessage {
  readonly v: 1;
  readonly type: 'pin' | 'unpin';
  readonly origin: string;
  readonly scope: Scope;
  readonly level?: Level;
  /** End of the pin, epoch ms. */
  readonly until?: number;
  readonly reason: string;
}

/** Options of {@link LevelsSync}. */
export interface LevelsSyncOptions {
  readonly store: StateStore;
  readonly clock: Clock;
  /** This instance's tag. */
  readonly self: string;
  readonly leaseMs: number;
  readonly tickMs: number;
  readonly timeoutMs: number;
  readonly runtime: LevelRuntime;
  readonly onError: (what: string, err: unknown) => void;
}

/** See the module comment. */
export class LevelsSync {
  readonly #options: LevelsSyncOptions;
  #seq = 0;
  #seen: { leader: string; epoch: number; seq: number; at: number } | null = null;
  readonly #recentPins = new Map<string, { msg: PinMessage; at: number }>();
  #unsent: PinMessage[] = [];
  readonly #subs = new Subscriptions();

  constructor(options: LevelsSyncOptions) {
    this.#options = options;
  }

  /** Subscribes to levels and pins (without waiting for a store that is down). */
  start(): void {
    const { store } = this.#options;
    const onError = (err: unknown) => this.#options.onError('subscribe', err);
    this.#subs.add(
      store.subscribe(KEYS.levelsChannel, (m) => this.consider(m)),
      onError,
    );
    this.#subs.add(
      store.subscribe(KEYS.overridesChannel, (m) => this.#onPin(m)),
      onError,
    );
  }

  /** Unsubscribes. */
  async stop(): Promise<void> {
    await this.#subs.close(this.#options.clock, this.#options.timeoutMs);
  }

  /** Leader: publishes the current state. Throws when the store fails. */
  async publish(epoch: number): Promise<void> {
    const msg: LevelsMessage = { v: 1, leader: this.#options.self, epoch, seq: ++this.#seq, state: this.#options.runtime.toJSON() };
    const json = JSON.stringify(msg);
    const { store, clock, timeoutMs } = this.#options;
    await bounded(clock, timeoutMs, 'publish levels', () => store.set(KEYS.levels, json, 86_400_000));
    await bounded(clock, timeoutMs, 'publish levels', () => store.publish(KEYS.levelsChannel, json));
  }

  /** Follower: reads the last published state (missed messages, reconnects). Throws when the store fails. */
  async pull(): Promise<void> {
    const { store, clock, timeoutMs } = this.#options;
    const json = await bounded(clock, timeoutMs, 'read levels', () => store.get(KEYS.levels));
    if (json !== null) this.consider(json);
  }

  /** Forget which leader was followed (after an outage anything newer is welcome). */
  resetSeen(): void {
    this.#seen = null;
  }

  /** Adopts a published state when the rules in the module comment allow; returns whether it did. */
  consider(raw: string): boolean {
    let m: LevelsMessage;
    try {
      m = JSON.parse(raw) as LevelsMessage;
    } catch {
      return false;
    }
    if (
      m?.v !== 1 ||
      typeof m.leader !== 'string' ||
      !Number.isInteger(m.seq) ||
      !Number.isInteger(m.epoch) ||
      m.leader === this.#options.self
    )
      return false;
    const now = this.#options.clock.now();
    const s = this.#seen;
    if (s !== null) {
      if (m.leader === s.leader && m.seq <= s.seq) return false;
      if (m.leader !== s.leader && m.epoch <= s.epoch && now - s.at < this.#options.leaseMs) return false;
    }
    try {
      this.#options.runtime.adopt(m.state, m.leader);
    } catch (err) {
      this.#options.onError('adopt levels', err);
      return false;
    }
    this.#seen = { leader: m.leader, epoch: m.epoch, seq: m.seq, at: now };
    this.#reapplyPins(now);
    return true;
  }

  /**
   * Applies a pin here and sends it to the fleet (queued while the store is unreachable).
   * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` when out of bounds (nothing is sent)
   */
  pin(scope: Scope, level: Level, forMs: number, reason: string): PinMessage {
    this.#options.runtime.pin(scope, level, forMs, reason);
    const msg: PinMessage = {
      v: 1,
      type: 'pin',
      origin: this.#options.self,
      scope,
      level,
      until: this.#options.clock.now() + forMs,
      reason,
    };
    this.#send(msg);
    return msg;
  }

  /** Ends a pin here and in the fleet. */
  unpin(scope: Scope, reason: string): PinMessage {
    this.#options.runtime.unpin(scope, reason);
    const msg: PinMessage = { v: 1, type: 'unpin', origin: this.#options.self, scope, reason };
    this.#send(msg);
    return msg;
  }

  /** Sends pins queued during an outage (those still running). */
  async flushPins(): Promise<void> {
    const now = this.#options.clock.now();
    const queued = this.#unsent.filter((m) => m.type === 'unpin' || (m.until ?? 0) > now);
    this.#unsent = [];
    for (const m of queued) await this.#publishPin(m).catch(() => this.#unsent.push(m));
  }

  #send(msg: PinMessage): void {
    this.#recentPins.set(scopeKey(msg.scope), { msg, at: this.#options.clock.now() });
    this.#publishPin(msg).catch(() => this.#unsent.push(msg));
  }

  async #publishPin(msg: PinMessage): Promise<void> {
    const { store, clock, timeoutMs } = this.#options;
    await bounded(clock, timeoutMs, 'publish pin', () => store.publish(KEYS.overridesChannel, JSON.stringify(msg)));
  }

  #onPin(raw: string): void {
    let m: PinMessage;
    try {
      m = JSON.parse(raw) as PinMessage;
    } catch {
      return;
    }
    if (m?.v !== 1 || m.origin === this.#options.self || typeof m.scope?.tenant !== 'string') return;
    this.#apply(m, this.#options.clock.now());
  }

  #apply(m: PinMessage, now: number): void {
    const scope: Scope =
      m.scope.skillGroup === undefined ? { tenant: m.scope.tenant } : { tenant: m.scope.tenant, skillGroup: m.scope.skillGroup };
    try {
      if (m.type === 'unpin') this.#options.runtime.unpin(scope, m.reason);
      else if (isLevel(m.level) && typeof m.until === 'number' && m.until > now)
        this.#options.runtime.pin(scope, m.level, m.until - now, m.reason);
    } catch (err) {
      this.#options.onError('apply pin', err);
    }
  }

  /** A state published before the leader saw our pin must not undo it: apply recent pins again. */
  #reapplyPins(now: number): void {
    for (const [key, { msg, at }] of this.#recentPins) {
      if (now - at > 3 * this.#options.tickMs) {
        this.#recentPins.delete(key);
        continue;
      }
      const o = this.#options.runtime.overrideOf(msg.scope);
      const carried =
        msg.type === 'pin'
          ? o !== null && o.level === msg.level && Math.abs(o.until - (msg.until ?? 0)) <= this.#options.tickMs
          : o === null;
      if (carried) this.#recentPins.delete(key);
      else this.#apply(msg, now);
    }
  }
}
