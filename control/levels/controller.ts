/**
 * Levels for many scopes (a tenant, or a skill group of a tenant), with
 * per-tenant configs, operator pins that expire by themselves, typed events,
 * and a plain JSON form for Redis.
 */
import { systemClock } from '../../adapters/clock.js';
import type { Clock } from '../../adapters/clock.js';
import { controlError } from '../errors.js';
import { Emitter } from '../../core/emitter.js';
import type { Emits, Listener, ListenerErrorHandler } from '../../core/emitter.js';
import type { Level } from '../types.js';
import { isLevel } from '../types.js';
import { resolveLevelConfigs } from './config.js';
import type { LevelConfig, LevelConfigs } from './config.js';
import { expireOverride, initialLevelState, pinLevel, stepLevel, unpinLevel } from './machine.js';
import type { LevelChange, LevelState, LevelStep } from './machine.js';

/** A tenant, or one skill group of a tenant. */
export interface Scope {
  readonly tenant: string;
  readonly skillGroup?: string;
}

/** Payload of the `change` event: a {@link LevelChange} with its scope. */
export interface ScopedLevelChange extends LevelChange {
  readonly scope: Scope;
}

/** Events a controller emits. */
export interface LevelEvents {
  change: ScopedLevelChange;
}

/** Serialised controller. */
export interface LevelControllerJSON {
  readonly v: 1;
  readonly scopes: readonly { readonly scope: Scope; readonly state: LevelState }[];
}

/** Construction options. */
export interface LevelControllerOptions {
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Options for every tenant. */
  readonly defaults?: Partial<LevelConfig>;
  /** Per-tenant options, merged over `defaults`. */
  readonly tenants?: Readonly<Record<string, Partial<LevelConfig>>>;
  /** A tenant's config from its resolved one (e.g. its policy's tuning over it), looked up at every use. */
  readonly adjust?: (tenant: string, config: LevelConfig) => LevelConfig;
  readonly onListenerError?: ListenerErrorHandler;
}

interface Entry {
  readonly scope: Scope;
  state: LevelState;
}

/**
 * Key of a scope: the tenant id, or `tenant/skillGroup`.
 * Tenant ids must not contain `/`.
 */
export function scopeKey(scope: Scope): string {
  return scope.skillGroup === undefined ? scope.tenant : `${scope.tenant}/${scope.skillGroup}`;
}

/** See the module comment. */
export class LevelController implements Emits<LevelEvents> {
  readonly #clock: Clock;
  readonly #configs: LevelConfigs;
  readonly #adjust: ((tenant: string, config: LevelConfig) => LevelConfig) | undefined;
  readonly #events: Emitter<LevelEvents>;
  readonly #scopes = new Map<string, Entry>();

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad default or tenant option */
  constructor(options: LevelControllerOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#configs = resolveLevelConfigs(options.defaults, options.tenants);
    this.#adjust = options.adjust;
    this.#events = new Emitter<LevelEvents>(options.onListenerError);
  }

  /** Resolved config of `tenant`. */
  configFor(tenant: string): LevelConfig {
    const c = this.#configs.forTenant(tenant);
    return this.#adjust === undefined ? c : this.#adjust(tenant, c);
  }

  /**
   * Feeds one tick's pressure for `scope`.
   * @param pressure score in [0, 1]; NaN leaves the level unchanged
   * @param detail appended to the reason of a change (e.g. the top pressure component)
   * @returns the change this tick caused, if any
   */
  tick(scope: Scope, pressure: number, detail?: string): LevelChange | null {
    const e = this.#entry(scope);
    return this.#apply(e, stepLevel(e.state, pressure, this.#clock.now(), this.configFor(scope.tenant), detail));
  }

  /** Current level of `scope` (L0 for a scope never seen); ends an expired pin first. */
  level(scope: Scope): Level {
    const e = this.#scopes.get(scopeKey(scope));
    if (e === undefined) return 0;
    this.#apply(e, expireOverride(e.state, this.#clock.now()));
    return e.state.level;
  }

  /** Full state of `scope`, or undefined for a scope never seen. */
  state(scope: Scope): LevelState | undefined {
    this.level(scope);
    return this.#scopes.get(scopeKey(scope))?.state;
  }

  /**
   * Pins `scope` at `level` for `forMs` ms.
   * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` when the level or duration is out of bounds
   */
  pin(scope: Scope, level: Level, forMs: number, reason: string): LevelChange {
    const e = this.#entry(scope);
    const step = pinLevel(e.state, level, forMs, this.#clock.now(), reason, this.configFor(scope.tenant));
    this.#apply(e, step);
    return step.change!;
  }

  /** Ends a pin early. */
  unpin(scope: Scope, reason: string): LevelChange | null {
    const e = this.#scopes.get(scopeKey(scope));
    return e === undefined ? null : this.#apply(e, unpinLevel(e.state, this.#clock.now(), reason));
  }

  /**
   * Forgets `scope` (e.g. a skill group no longer seen); it starts again at L0 if it comes back.
   * @returns whether it was known
   */
  drop(scope: Scope): boolean {
    return this.#scopes.delete(scopeKey(scope));
  }

  /** Every known scope with its level (pins expired first). */
  levels(): { scope: Scope; level: Level }[] {
    const now = this.#clock.now();
    return [...this.#scopes.values()].map((e) => {
      this.#apply(e, expireOverride(e.state, now));
      return { scope: e.scope, level: e.state.level };
    });
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). No listener, no cost. */
  on<K extends keyof LevelEvents & string>(name: K, listener: Listener<LevelEvents[K]>): () => void {
    return this.#events.on(name, listener);
  }

  /** Plain copy of every scope's state. */
  toJSON(): LevelControllerJSON {
    return { v: 1, scopes: [...this.#scopes.values()].map((e) => ({ scope: e.scope, state: e.state })) };
  }

  /**
   * Rebuilds a controller from {@link toJSON} output.
   * @throws SluiceError `SLUICE_ERR_CONTROL_STATE_INVALID` naming the first bad scope or field
   */
  static restore(json: unknown, options: LevelControllerOptions = {}): LevelController {
    const c = new LevelController(options);
    const j = json as Partial<LevelControllerJSON> | null;
    if (typeof j !== 'object' || j === null || j.v !== 1 || !Array.isArray(j.scopes)) {
      throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', 'levels JSON must have v 1 and a scopes array');
    }
    j.scopes.forEach((item, i) => {
      const scope = item?.scope;
      if (typeof scope?.tenant !== 'string' || (scope.skillGroup !== undefined && typeof scope.skillGroup !== 'string')) {
        throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', `levels scopes[${i}].scope is malformed`);
      }
      const clean: Scope =
        scope.skillGroup === undefined ? { tenant: scope.tenant } : { tenant: scope.tenant, skillGroup: scope.skillGroup };
      c.#scopes.set(scopeKey(clean), { scope: clean, state: parseLevelState(item.state, `levels scopes[${i}].state`) });
    });
    return c;
  }

  #entry(scope: Scope): Entry {
    const key = scopeKey(scope);
    let e = this.#scopes.get(key);
    if (e === undefined) {
      const clean: Scope =
        scope.skillGroup === undefined ? { tenant: scope.tenant } : { tenant: scope.tenant, skillGroup: scope.skillGroup };
      e = { scope: clean, state: initialLevelState(this.#clock.now(), this.configFor(scope.tenant)) };
      this.#scopes.set(key, e);
    }
    return e;
  }

  #apply(e: Entry, step: LevelStep): LevelChange | null {
    e.state = step.state;
    if (step.change !== null && this.#events.has('change')) this.#events.emit('change', { ...step.change, scope: e.scope });
    return step.change;
  }
}

function parseLevelState(x: unknown, where: string): LevelState {
  const o = x as Record<string, unknown> | null;
  const bad = (field: string): never => {
    throw controlError('SLUICE_ERR_CONTROL_STATE_INVALID', `${where}.${field} is missing or malformed`);
  };
  const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  const timeOrNull = (field: string): number | null => {
    const v = o![field];
    if (v !== null && !num(v)) bad(field);
    return v as number | null;
  };
  if (typeof o !== 'object' || o === null) return bad('(root)');
  if (!isLevel(o.level)) bad('level');
  if (!num(o.since)) bad('since');
  if (typeof o.reason !== 'string') bad('reason');
  if (!Number.isInteger(o.above) || (o.above as number) < 0) bad('above');
  if (!num(o.holdMs) || (o.holdMs as number) < 0) bad('holdMs');
  const ov = o.override as Record<string, unknown> | null;
  if (ov !== null && (typeof ov !== 'object' || !isLevel(ov.level) || !num(ov.until) || typeof ov.reason !== 'string')) bad('override');
  return {
    level: o.level as Level,
    since: o.since as number,
    reason: o.reason as string,
    above: o.above as number,
    belowSince: timeOrNull('belowSince'),
    holdMs: o.holdMs as number,
    lastEscalationAt: timeOrNull('lastEscalationAt'),
    lastRecoveryAt: timeOrNull('lastRecoveryAt'),
    override: ov === null ? null : { level: ov.level as Level, until: ov.until as number, reason: ov.reason as string },
  };
}
