/**
 * One routing decision with everything around the pure `decide()`: the
 * tenant's admission bucket, the SRE client-side throttle (primary → backup
 * CTI), the target's concurrency limiter and its breaker permit. Each refusal
 * excludes that target and decides again at once, so a call never waits. Only
 * in-memory state is read; nothing is awaited.
 */
import type { LimiterPermit } from '../admission/limiter.js';
import type { Permit } from '../breaker/api.js';
import { decide } from '../router.js';
import type { RouteState } from '../router.js';
import { passable, planIndex } from '../routing-table.js';
import type { RouteDecision, RouteTarget } from '../routing-table.js';
import type { DecisionRecord } from '../log/types.js';
import type { Level, Priority } from '../types.js';
import type { Admission } from './admission.js';
import type { BreakerRegistry } from './breakers.js';
import type { TenantTables } from './tenants.js';

/** A decision and what it holds until its outcome. */
export interface Held {
  readonly d: RouteDecision;
  readonly permit: Permit | null;
  readonly slot: LimiterPermit | null;
  /** Sent to the primary CTI (an accept counts for the client-side throttle). */
  readonly primary: boolean;
  readonly spilled: boolean;
  readonly admitted: boolean;
}

/**
 * One routed call: the decision-log record and what it holds, in one object
 * (a class, so every instance has the same shape), allocated once per call.
 */
export class RoutedCall implements DecisionRecord, Held {
  readonly kind = 'decision' as const;
  readonly target: RouteTarget;
  readonly ctiNode: string | undefined;
  readonly level: Level;
  readonly reason: string;
  constructor(
    readonly ts: number,
    readonly decisionId: string,
    readonly tenant: string,
    readonly skillGroup: string,
    readonly callId: string,
    readonly priority: Priority,
    readonly intent: string,
    readonly instance: string,
    readonly d: RouteDecision,
    readonly permit: Permit | null,
    readonly slot: LimiterPermit | null,
    readonly primary: boolean,
    readonly spilled: boolean,
    readonly admitted: boolean,
  ) {
    this.target = d.target;
    this.ctiNode = d.ctiNode;
    this.level = d.level;
    this.reason = spilled ? spillReason(d.reason) : d.reason;
  }
}

const SPILLED = new Map<string, string>();

/** The reason of a spilled call, built once per distinct decision reason (a handful per tenant). */
function spillReason(base: string): string {
  let r = SPILLED.get(base);
  if (r === undefined) {
    r = `${base} [spilled from primary by the client-side throttle]`;
    if (SPILLED.size < 4_096) SPILLED.set(base, r);
  }
  return r;
}


/** Called when admission refuses a call somewhere. */
export type RejectionHook = (tenant: string, level: Level, kind: 'bucket' | 'limiter', key: string) => void;

/** See the module comment. */
export class RouteEngine {
  readonly #tables: TenantTables;
  readonly #breakers: BreakerRegistry;
  readonly #admission: Admission;
  readonly #state: RouteState;
  readonly #onReject: RejectionHook;
  readonly #instance: string;

  /**
   * @param instance this instance's id, for the records
   * @param ctiWeight health weight of a CTI breaker key in [0, 1]
   */
  constructor(instance: string, tables: TenantTables, breakers: BreakerRegistry, admission: Admission, ctiWeight: (key: string) => number, onReject: RejectionHook) {
    this.#instance = instance;
    this.#tables = tables;
    this.#breakers = breakers;
    this.#admission = admission;
    this.#onReject = onReject;
    this.#state = { tenants: tables.compiled, breakerState: (k) => breakers.stateOf(k), ctiWeight };
  }

  /** Decides and takes the permits the decision needs. */
  /**
   * @param ts decision time, epoch ms
   * @param decisionId id for the record
   * @param intent the caller's intent ('' when none), for the record
   */
  route(tenant: string, skillGroup: string, priority: Priority, callId: string, ts: number, decisionId: string, intent: string): RoutedCall {
    const t = this.#tables.compiled.get(tenant);
    let admitted = true;
    if (t !== undefined) {
      const g = t.groups.get(skillGroup);
      const level = g === undefined || g < t.level ? t.level : g;
      // The compiled plans carry the level's policy: an array read instead of a policy lookup.
      const lp = t.plans[planIndex(level, 0, true)]!.policy;
      if (lp.admission !== null && lp.agentPriorities.includes(priority) && !this.#admission.admit(tenant, level, lp)) {
        admitted = false;
        this.#onReject(tenant, level, 'bucket', `${tenant}|L${level}`);
      }
    }
    let exclude: string[] | undefined;
    let spilled = false;
    let d: RouteDecision | undefined;
    let permit: Permit | null = null;
    let slot: LimiterPermit | null = null;
    let primary = false;
    for (let i = 0; i < 16 && d === undefined; i++) {
      const c = decide({ tenant, skillGroup, priority, callId, admitted, exclude }, this.#state);
      if (c.target === 'reject') {
        d = c;
        break;
      }
      const key = c.breakerKey;
      const toPrimary = t !== undefined && c.target === 'agent' && key === t.primaryKey;
      if (toPrimary && !c.probe && t.backupKey !== undefined && passable(this.#breakers.stateOf(t.backupKey)) && this.#admission.throttle(key).route() === 'spill') {
        (exclude ??= []).push(key);
        spilled = true;
        continue;
      }
      const limiter = this.#admission.limiter(key);
      const s = limiter === undefined ? null : limiter.tryAcquire(priority);
      if (limiter !== undefined && s === null) {
        this.#onReject(tenant, c.level, 'limiter', key);
        (exclude ??= []).push(key);
        continue;
      }
      const breaker = this.#breakers.get(key);
      const p = breaker === undefined ? null : breaker.tryAcquire();
      if (breaker !== undefined && p === null) {
        if (s !== null) limiter!.onIgnore(s);
        (exclude ??= []).push(key);
        continue;
      }
      d = c;
      permit = p;
      slot = s;
      primary = toPrimary;
    }
    d ??= decide({ tenant, skillGroup, priority, callId, admitted, exclude: this.#breakers.ids() }, this.#state);
    return new RoutedCall(ts, decisionId, tenant, skillGroup, callId, priority, intent, this.#instance, d, permit, slot, primary, spilled, admitted);
  }

  /** Feeds an outcome to the target's breaker, limiter and throttle. */
  outcome(h: Held, success: boolean, latencyMs: number): void {
    const key = h.d.breakerKey;
    if (h.permit !== null) {
      const b = this.#breakers.get(key);
      if (success) b?.onSuccess(latencyMs, h.permit);
      else b?.onFailure(latencyMs, h.permit);
    }
    if (h.slot !== null) {
      const l = this.#admission.limiter(key);
      if (success) l?.onSuccess(h.slot, latencyMs);
      else l?.onDrop(h.slot);
    }
    if (success && h.primary) this.#admission.throttle(key).onAccept();
  }

  /** Releases what an unanswered decision holds (expired or evicted). */
  release(h: Held): void {
    if (h.slot !== null) this.#admission.limiter(h.d.breakerKey)?.onIgnore(h.slot);
  }
}
