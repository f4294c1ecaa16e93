/**
 * Levels of one control instance: the core's LevelController and ControlLoop,
 * kept in step with the routing tables. The controller can be replaced
 * wholesale by the leader's published state ({@link LevelRuntime.adopt}), so a
 * follower that takes over continues the leader's holds and pins instead of
 * starting from L0.
 */
import type { Clock } from '../../adapters/clock.js';
import { controlError } from '../errors.js';
import type { LevelConfig } from '../levels/config.js';
import { LevelController, scopeKey } from '../levels/controller.js';
import type { LevelControllerJSON, Scope } from '../levels/controller.js';
import { ControlLoop } from '../levels/loop.js';
import type { SignalSource } from '../levels/loop.js';
import type { LevelChange, LevelChangeKind, LevelState } from '../levels/machine.js';
import type { PressureConfig, PressureReading } from '../levels/pressure.js';
import type { Level } from '../types.js';
import type { ScopeBook } from './scopes.js';
import type { TenantTables } from './tenants.js';

/** A level change seen by this instance: computed here, or adopted from the leader. */
export interface LevelEvent {
  readonly scope: Scope;
  readonly from: Level;
  readonly to: Level;
  readonly kind: LevelChangeKind | 'adopted';
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
  readonly source: 'local' | 'leader';
}

/** Options of {@link LevelRuntime}. */
export interface LevelRuntimeOptions {
  readonly clock: Clock;
  readonly tables: TenantTables;
  /** The skill groups each tenant tracks (bounded); pins of new groups take room in it. */
  readonly book: ScopeBook;
  readonly source: SignalSource;
  readonly defaults?: Partial<LevelConfig>;
  readonly tenants?: Readonly<Record<string, Partial<LevelConfig>>>;
  /** A tenant's level config from the deployment's (its policy's tuning over it). */
  readonly adjust?: (tenant: string, config: LevelConfig) => LevelConfig;
  readonly pressureFor: (tenant: string) => PressureConfig;
  readonly onChange: (e: LevelEvent) => void;
}

/** See the module comment. */
export class LevelRuntime {
  readonly #options: LevelRuntimeOptions;
  #controller: LevelController;
  #loop: ControlLoop;
  #off: (() => void)[] = [];
  #readings = new Map<string, { scope: Scope; pressure: PressureReading; at: number }>();
  #lastSweep = Number.NEGATIVE_INFINITY;

  /** @throws SluiceError `SLUICE_ERR_CONTROL_CONFIG_INVALID` on a bad level config */
  constructor(options: LevelRuntimeOptions) {
    this.#options = options;
    this.#controller = new LevelController(this.#controllerOptions());
    this.#loop = this.#attach(this.#controller);
  }

  /** Reads signals and steps every scope's level (leader, or fail-static); returns the changes. */
  compute(): LevelChange[] {
    const changes = this.#loop.tick();
    this.#controller.levels();
    return changes;
  }

  /** Ends expired pins of scopes without signals (a follower between adoptions). */
  expirePins(): void {
    this.#controller.levels();
  }

  /** Last pressure reading of every scope this instance computed. */
  readings(): { scope: Scope; pressure: PressureReading; at: number }[] {
    return [...this.#readings.values()];
  }

  /** Full state of every scope. */
  states(): { scope: Scope; state: LevelState }[] {
    this.#controller.levels();
    return this.#controller.toJSON().scopes.map((s) => ({ scope: s.scope, state: s.state }));
  }

  /** Serialised controller, for publishing. */
  toJSON(): LevelControllerJSON {
    return this.#controller.toJSON();
  }

  /**
   * Replaces the controller with the leader's state and brings the routing
   * tables in line, reporting each scope whose level differs as `adopted`.
   * @throws SluiceError `SLUICE_ERR_CONTROL_STATE_INVALID` on malformed state (nothing changes then)
   */
  adopt(json: unknown, origin: string): number {
    const next = LevelController.restore(json, this.#controllerOptions());
    next.levels();
    for (const off of this.#off) off();
    this.#controller = next;
    this.#loop = this.#attach(next);
    const at = this.#options.clock.now();
    let changed = 0;
    const adopted = new Map<string, Set<string>>();
    for (const { scope, state } of next.toJSON().scopes) {
      if (scope.skillGroup !== undefined) {
        let groups = adopted.get(scope.tenant);
        if (groups === undefined) adopted.set(scope.tenant, (groups = new Set()));
        groups.add(scope.skillGroup);
      }
      const from = this.#options.tables.levelOf(scope);
      this.#options.tables.setLevel(scope, state.level);
      if (from === state.level) continue;
      changed += 1;
      this.#options.onChange({
        scope,
        from,
        to: state.level,
        kind: 'adopted',
        reason: `${state.reason} (from leader ${origin})`,
        at,
        source: 'leader',
      });
    }
    // Groups the leader dropped leave the routing tables too, unless this instance tracks them itself.
    const { tables, book } = this.#options;
    for (const tenant of tables.tenants()) tables.retainGroups(tenant, (g) => adopted.get(tenant)?.has(g) === true || book.has(tenant, g));
    return changed;
  }

  /**
   * Every `book.sweepMs`: drops skill groups unseen for the idle time that are at
   * L0 without a pin (from the book, the controller, the routing tables and the
   * readings), and controller scopes of groups the book does not track (adopted
   * or pinned earlier) once they are at L0 without a pin.
   * @returns the scopes dropped
   */
  sweep(now: number): Scope[] {
    const { book, tables } = this.#options;
    if (now - this.#lastSweep < book.sweepMs) return [];
    this.#lastSweep = now;
    const c = this.#controller;
    const idle = (scope: Scope) => {
      const st = c.state(scope);
      return st === undefined || (st.level === 0 && st.override === null);
    };
    const dropped = new Map(book.sweep(now, (scope) => !idle(scope)).map((s) => [scopeKey(s), s]));
    for (const { scope } of c.toJSON().scopes) {
      if (scope.skillGroup !== undefined && !book.has(scope.tenant, scope.skillGroup) && idle(scope)) dropped.set(scopeKey(scope), scope);
    }
    for (const scope of dropped.values()) {
      c.drop(scope);
      tables.dropGroup(scope.tenant, scope.skillGroup!);
      this.#readings.delete(scopeKey(scope));
    }
    return [...dropped.values()];
  }

  /**
   * Pins `scope` at `level` for `forMs` ms.
   * @throws SluiceError `SLUICE_ERR_CONTROL_OVERRIDE_INVALID` when out of bounds
   */
  pin(scope: Scope, level: Level, forMs: number, reason: string): LevelChange {
    const { book, clock } = this.#options;
    if (
      scope.skillGroup !== undefined &&
      this.#controller.state(scope) === undefined &&
      !book.admit(scope.tenant, scope.skillGroup, clock.now(), false)
    ) {
      throw controlError(
        'SLUICE_ERR_CONTROL_OVERRIDE_INVALID',
        `tenant ${scope.tenant} tracks ${book.maxGroupsPerTenant} skill groups already (the limit); pin the tenant or a tracked group`,
      );
    }
    return this.#controller.pin(scope, level, forMs, reason);
  }

  /** Ends a pin early. */
  unpin(scope: Scope, reason: string): LevelChange | null {
    return this.#controller.unpin(scope, reason);
  }

  /** Current pin of `scope`, if any. */
  overrideOf(scope: Scope): { level: Level; until: number } | null {
    return this.#controller.state(scope)?.override ?? null;
  }

  /** Longest pin allowed for `tenant`, ms. */
  maxOverrideMs(tenant: string): number {
    return this.#controller.configFor(tenant).maxOverrideMs;
  }

  #controllerOptions() {
    return {
      clock: this.#options.clock,
      ...(this.#options.defaults ? { defaults: this.#options.defaults } : {}),
      ...(this.#options.tenants ? { tenants: this.#options.tenants } : {}),
      ...(this.#options.adjust ? { adjust: this.#options.adjust } : {}),
    };
  }

  #attach(c: LevelController): ControlLoop {
    const loop = new ControlLoop({
      source: this.#options.source,
      controller: c,
      clock: this.#options.clock,
      pressureFor: this.#options.pressureFor,
    });
    this.#off = [
      c.on('change', (ch) => {
        this.#options.tables.setLevel(ch.scope, ch.to);
        this.#options.onChange({ scope: ch.scope, from: ch.from, to: ch.to, kind: ch.kind, reason: ch.reason, at: ch.at, source: 'local' });
      }),
      loop.on('tick', (t) => {
        for (const r of t.readings) this.#readings.set(scopeKey(r.scope), { scope: r.scope, pressure: r.pressure, at: t.at });
      }),
    ];
    return loop;
  }
}
