/**
 * The {@link SignalSource} the control loop reads: queue snapshots from the
 * pipelines plus engine and CTI health, turned into the core's `Signals` per
 * scope (each tenant, and each tenant + skill group).
 *
 * Per skill group: calls waiting, longest wait and available agents as given;
 * occupancy = busy / (busy + available); predicted wait = (waiting + 1) ·
 * 60 000 / answered-last-minute (0 when nobody waits and an agent is free; left
 * out when nothing was answered); offered rate = a time-based EWMA of
 * offered-last-minute. A tenant sums its groups (longest wait: the maximum) and
 * keeps its own EWMA. Engine health is added to every scope, CTI health as
 * the tenant's calls see it (its own breakers and the fleet's), and the
 * tenant's trunk utilisation (its feeders' reports) to each of its scopes. Skill groups
 * the tenant may not track (`admitGroup`, a bound per tenant) count in the
 * tenant's sums only. Snapshots
 * older than `staleMs` are ignored, so a scope whose feed stops keeps its level
 * (the loop's fail-static rule). Consumer lag is a time (ms) here, so the
 * service's pressure config states its bounds in ms.
 */
import type { Clock } from '../../adapters/clock.js';
import type { Scope } from '../levels/controller.js';
import { scopeKey } from '../levels/controller.js';
import { ewmaStep } from '../levels/ewma.js';
import type { SignalSource } from '../levels/loop.js';
import type { Signals } from '../levels/pressure.js';
import type { EngineHealth } from './engine.js';
import { snapshotProblem, type QueueSnapshot } from '../../core/messages.js';
import type { RealtimeView } from './snapshot.js';

/** CTI health as the breakers see it. */
export interface CtiHealth {
  /** Share of CTI nodes whose breaker admits calls, 0..1. */
  readonly available: number;
  /** p99 CTI latency over the breakers' windows, ms (NaN when no calls). */
  readonly latencyMs: number;
}

/** Options of {@link SnapshotSignalSource}. */
export interface SnapshotSourceOptions {
  readonly view: RealtimeView;
  readonly clock: Clock;
  readonly engine?: EngineHealth;
  /** Event-loop lag, ms (e.g. {@link EventLoopLag.readMs}); NaN leaves it out. */
  readonly loopLagMs?: () => number;
  /** CTI health for `tenant`'s calls. */
  readonly cti?: (tenant: string) => CtiHealth;
  /** Trunk utilisation of `tenant`, 0..1 (undefined: no trunk reports). */
  readonly trunk?: (tenant: string) => number | undefined;
  /** Whether `group` of `tenant` gets a scope of its own (default: every group); called once per group and refresh. */
  readonly admitGroup?: (tenant: string, group: string, now: number) => boolean;
  /** Snapshots older than this are ignored, ms (default 15 000). */
  readonly staleMs?: number;
  /** Half-life of the offered-rate EWMA, ms (default 60 000). */
  readonly offeredHalfLifeMs?: number;
}

/** Signals of one scope at the last refresh. */
export interface ScopeSignals {
  readonly scope: Scope;
  readonly signals: Signals;
  /** Newest snapshot time behind them, epoch ms. */
  readonly asOf: number;
}

interface Sum {
  waiting: number;
  longest: number;
  available: number;
  busy: number;
  offered: number;
  answered: number;
  asOf: number;
}

const finite = (x: number | undefined): number | undefined => (x !== undefined && Number.isFinite(x) ? x : undefined);

/** See the module comment. */
export class SnapshotSignalSource implements SignalSource {
  readonly #options: SnapshotSourceOptions;
  readonly #staleMs: number;
  readonly #halfLife: number;
  readonly #ewma = new Map<string, { rate: number; at: number }>();
  #table = new Map<string, ScopeSignals>();
  #rejected = 0;

  constructor(options: SnapshotSourceOptions) {
    this.#options = options;
    this.#staleMs = options.staleMs ?? 15_000;
    this.#halfLife = options.offeredHalfLifeMs ?? 60_000;
  }

  /** Reads the view once and rebuilds every scope's signals (the loop calls it via {@link scopes}). */
  refresh(): void {
    const now = this.#options.clock.now();
    const groups = new Map<string, Sum>();
    const refused = new Set<string>();
    const tenants = new Map<string, Sum>();
    const admit = this.#options.admitGroup;
    for (const s of this.#options.view.snapshots()) {
      if (snapshotProblem(s) !== null) {
        this.#rejected += 1;
        continue;
      }
      if (now - s.asOf > this.#staleMs) continue;
      add(tenants, s.tenant, s);
      const key = `${s.tenant}/${s.skillGroup}`;
      if (refused.has(key)) continue;
      if (admit !== undefined && !groups.has(key) && !admit(s.tenant, s.skillGroup, now)) refused.add(key);
      else add(groups, key, s);
    }
    const shared = this.#shared();
    const cti = new Map<string, Partial<Signals>>();
    const health = (tenant: string): Partial<Signals> => {
      let h = cti.get(tenant);
      if (h === undefined) {
        const c = this.#options.cti?.(tenant);
        const trunk = finite(safe(() => this.#options.trunk?.(tenant)));
        cti.set(
          tenant,
          (h = { ...shared, ctiAvailable: finite(c?.available), ctiLatencyMs: finite(c?.latencyMs), trunkUtilisation: trunk }),
        );
      }
      return h;
    };
    const table = new Map<string, ScopeSignals>();
    for (const [tenant, sum] of tenants) table.set(tenant, this.#build({ tenant }, sum, health(tenant), now));
    for (const [key, sum] of groups) {
      const cut = key.indexOf('/');
      const tenant = key.slice(0, cut);
      table.set(key, this.#build({ tenant, skillGroup: key.slice(cut + 1) }, sum, health(tenant), now));
    }
    for (const key of this.#ewma.keys()) if (!table.has(key)) this.#ewma.delete(key);
    this.#table = table;
  }

  /** {@inheritDoc SignalSource.scopes} Refreshes first: one read of the view per tick. */
  scopes(): Iterable<Scope> {
    this.refresh();
    return [...this.#table.values()].map((e) => e.scope);
  }

  /** {@inheritDoc SignalSource.read} */
  read(scope: Scope): Signals | undefined {
    return this.#table.get(scopeKey(scope))?.signals;
  }

  /** Signals of every scope at the last refresh (for the state endpoint). */
  latest(): ScopeSignals[] {
    return [...this.#table.values()];
  }

  /** Snapshots rejected as malformed so far. */
  get rejected(): number {
    return this.#rejected;
  }

  #shared(): Partial<Signals> {
    const e = this.#options.engine;
    return {
      eventLoopLagMs: finite(this.#options.loopLagMs?.()),
      consumerLag: finite(safe(() => e?.consumerLagMs())),
      insertLatencyMs: finite(safe(() => e?.insertLatencyMs())),
    };
  }

  #build(scope: Scope, s: Sum, shared: Partial<Signals>, now: number): ScopeSignals {
    const key = scopeKey(scope);
    const prev = this.#ewma.get(key);
    const rate = prev === undefined ? s.offered : ewmaStep(prev.rate, s.offered, now - prev.at, this.#halfLife);
    this.#ewma.set(key, { rate, at: prev === undefined || now > prev.at ? now : prev.at });
    const staffed = s.busy + s.available;
    const predicted = s.waiting === 0 && s.available > 0 ? 0 : s.answered > 0 ? ((s.waiting + 1) * 60_000) / s.answered : undefined;
    const signals: Signals = {
      callsWaiting: s.waiting,
      longestWaitMs: s.longest,
      availableAgents: s.available,
      occupancy: staffed > 0 ? s.busy / staffed : undefined,
      predictedWaitMs: predicted,
      offeredPerMin: rate,
      ...shared,
    };
    return { scope, signals, asOf: s.asOf };
  }
}

function safe(f: () => number | undefined): number | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function add(into: Map<string, Sum>, key: string, s: QueueSnapshot): void {
  const t = into.get(key);
  if (t === undefined) {
    into.set(key, {
      waiting: s.callsWaiting,
      longest: s.longestWaitMs,
      available: s.agentsAvailable,
      busy: s.agentsBusy,
      offered: s.offeredLastMinute,
      answered: s.answeredLastMinute,
      asOf: s.asOf,
    });
    return;
  }
  t.waiting += s.callsWaiting;
  t.longest = Math.max(t.longest, s.longestWaitMs);
  t.available += s.agentsAvailable;
  t.busy += s.agentsBusy;
  t.offered += s.offeredLastMinute;
  t.answered += s.answeredLastMinute;
  t.asOf = Math.max(t.asOf, s.asOf);
}
