/**
 * One routing decision with everything around the pure `decide()`: the
 * tenant's admission bucket, the SRE client-side throttle (primary → backup
 * CTI), the target's concurrency limiter and its breaker permits. Each refusal
 * excludes that target and decides again at once, so a call never waits. Only
 * in-memory state is read; nothing is awaited.
 *
 * Everything a call takes or feeds is its tenant's own (limiters, throttle,
 * the tenant's breaker of each target), beside the target's fleet breaker,
 * which only evidence from several tenants opens (see `fleet-evidence.ts`).
 */
import type { LimiterPermit } from '../admission/limiter.js';
import type { Permit } from '../breaker/api.js';
import type { CircuitBreaker } from '../breaker/breaker.js';
import { isFailure, isNeutral, nodeAnswered } from '../outcome.js';
import type { OutcomeKind } from '../outcome.js';
import type { BreakerStateName } from '../breaker/machine.js';
import { decide } from '../router.js';
import type { RouteState } from '../router.js';
import { passable, planIndex } from '../routing-table.js';
import type { CompiledTenant, RouteDecision, RouteTarget } from '../routing-table.js';
import type { DecisionRecord } from '../log/types.js';
import type { Level, Priority } from '../types.js';
import { MAX_LIMITERS } from './admission.js';
import type { Admission, TenantAdmission } from './admission.js';
import type { PendingPool } from './decisions.js';
import { UNKNOWN_TENANT, effectiveState } from './breakers.js';
import type { BreakerRegistry, TargetBreakers } from './breakers.js';
import type { TenantTables } from './tenants.js';

/** A decision and what it holds until its outcome. */
export interface Held {
  /** The router's decision (target, breaker key, probe, ticket). */
  readonly decision: RouteDecision;
  /** The tenant's limiters and throttles the call drew from. */
  readonly admission: TenantAdmission;
  /** The target's breakers as the tenant's calls pass them (null for reject). */
  readonly pair: TargetBreakers | null;
  /** Permit of the tenant's own breaker (null when the operator forced the fleet breaker closed, or for reject). */
  readonly permit: Permit | null;
  /** Permit of the fleet breaker. */
  readonly fleetPermit: Permit | null;
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
  /** The signed id (`decision-id.ts`), set by the service once the target is known. */
  decisionId = '';
  /** Where it is in its life (`EntryState` of `decisions.ts`), changed by the rings of pending decisions. */
  state = 0;
  /** The outcome taken (null until one is), to tell a repeat from a conflicting one. */
  taken: OutcomeKind | null = null;
  /** Its slot's time-out counted as a time-out of the node (the silent-node rule of {@link RouteEngine.expire}). */
  timedOut = false;
  constructor(
    readonly ts: number,
    readonly tenant: string,
    readonly skillGroup: string,
    readonly callId: string,
    readonly priority: Priority,
    readonly intent: string,
    readonly instance: string,
    readonly decision: RouteDecision,
    readonly admission: TenantAdmission,
    readonly pair: TargetBreakers | null,
    readonly permit: Permit | null,
    readonly fleetPermit: Permit | null,
    readonly slot: LimiterPermit | null,
    readonly primary: boolean,
    readonly spilled: boolean,
    readonly admitted: boolean,
  ) {
    this.target = decision.target;
    this.ctiNode = decision.ctiNode;
    this.level = decision.level;
    this.reason = spilled ? spillReason(decision.reason) : decision.reason;
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

/** Decisions without any outcome arriving before a tenant's proxy may count as quiet (see {@link RouteEngine.route}). */
const QUIET_DECISIONS = 8;

/** While a tenant's proxy is quiet, one primary call in this many goes to a backup (see {@link RouteEngine.route}). */
const CANARY = 20;

/** Notes that an outcome of the tenant's call decided at `decidedAt` arrived at `now`: its proxy is reporting. */
function reported(a: TenantAdmission, decidedAt: number, now: number, onTimeAnswer: boolean): void {
  if (decidedAt > a.reportedFor) a.reportedFor = decidedAt;
  // Evidence for each target that was still being sent calls after this one was decided (see `silent`).
  const s = a.sentTo;
  for (let i = 0; i < s.length; i++) {
    const p = s[i]!;
    if (decidedAt <= p.sentFor && decidedAt > p.reportedWhileSent) p.reportedWhileSent = decidedAt;
  }
  if (onTimeAnswer && now >= decidedAt) {
    const d = now - decidedAt;
    a.reportDelayMs = Number.isNaN(a.reportDelayMs) ? d : a.reportDelayMs + (d - a.reportDelayMs) * 0.05;
  }
}

/** Notes that a call of the tenant decided at `ts` was sent to the target of `p`. */
function sent(a: TenantAdmission, p: TargetBreakers, ts: number): void {
  // A pair is listed by the first tenant admission sending to it (pairs of unknown tenants are shared): bounded.
  if (p.sentFor === Number.NEGATIVE_INFINITY && a.sentTo.length < MAX_LIMITERS) a.sentTo.push(p);
  if (ts > p.sentFor) p.sentFor = ts;
  // Every outcome that came back so far was of a call decided no later than this one (decision times).
  const r = a.reportedFor;
  if (r <= p.sentFor && r > p.reportedWhileSent) p.reportedWhileSent = r;
}

/**
 * The silent-node rule (see {@link RouteEngine.expire}): the node of `p` let a call decided at `ts` go unanswered
 * when the tenant's proxy reported the outcome of a call decided after it, while the node was still being sent
 * calls (in `(ts, p.sentFor]`), and the node answered none of the tenant's calls decided from `ts` on.
 */
function silent(p: TargetBreakers | null, ts: number): boolean {
  return p !== null && p.reportedWhileSent > ts && p.answeredFor < ts;
}

/** Notes that the node of `p` answered a call decided at `decidedAt`. */
function answered(p: TargetBreakers | null, kind: OutcomeKind, decidedAt: number): void {
  if (p !== null && nodeAnswered(kind) && decidedAt > p.answeredFor) p.answeredFor = decidedAt;
}

/** Feeds one outcome to one breaker: connected → success, failed → failure, timeout → failure without latency. */
function feed(b: CircuitBreaker, permit: Permit, kind: OutcomeKind, latencyMs: number): void {
  if (kind === 'connected') b.onSuccess(latencyMs, permit);
  else if (kind === 'failed') b.onFailure(latencyMs, permit);
  else if (kind === 'timeout') b.onTimeout(permit);
  else b.release(permit);
}

/** Everything of one tenant a call uses, looked up once per tenant (one map read per call). */
export interface TenantContext {
  readonly tenant: string;
  readonly admission: TenantAdmission;
  readonly pairs: ReadonlyMap<string, TargetBreakers>;
  /** The tenant's ring of pending decisions (the service fills it on first use). */
  pool: PendingPool<RoutedCall> | undefined;
}

/** Called when admission refuses a call somewhere. */
export type RejectionHook = (tenant: string, level: Level, kind: 'bucket' | 'limiter', key: string) => void;

/** Health weight of a CTI breaker key for `tenant`'s active-active split, in [0, 1]. */
export type CtiWeight = (tenant: string, key: string) => number;

/** See the module comment. */
export class RouteEngine {
  readonly #breakers: BreakerRegistry;
  readonly #admission: Admission;
  readonly #state: RouteState;
  readonly #onReject: RejectionHook;
  readonly #instance: string;
  readonly #ctiWeight: CtiWeight;
  readonly #targets: readonly string[];
  readonly #contexts = new Map<string, TenantContext>();
  readonly #unknown: TenantContext;
  /** The tenant and breaker pairs of the call being decided (route() is synchronous). */
  #tenant = UNKNOWN_TENANT;
  #pairs: ReadonlyMap<string, TargetBreakers>;
  #own: Permit | null = null;
  #fleet: Permit | null = null;
  /**
   * When the tenant's proxy counts as not reporting (quiet: no outcome of the tenant arrived for one and a half of
   * its usual reporting delays while at least 8 decisions were made, or for this many ms before that delay is
   * known), a full limiter lets calls pass without a slot (its count is of lost outcomes, not of load), the
   * client-side throttle is not consulted (it would count requests whose accepts were lost), half-open targets are
   * not probed (a lost probe cannot close a breaker) and one primary call in 20 goes to a backup (a canary: its
   * outcome, if it comes, shows the proxy reports). Also the least age of a slot a full limiter presumes lost.
   */
  quietMs = 250;
  /**
   * Called when a target's limiter refuses a call: releases the slots of `ctx`'s decisions for `key` whose outcome
   * is presumed lost, and says whether it released any (set by the service, which holds the decisions).
   */
  reclaim: ((ctx: TenantContext, key: string, now: number) => boolean) | undefined;

  /**
   * @param instance this instance's id, for the records
   * @param ctiWeight health weight of a CTI breaker key in [0, 1] for a tenant
   */
  constructor(
    instance: string,
    tables: TenantTables,
    breakers: BreakerRegistry,
    admission: Admission,
    ctiWeight: CtiWeight,
    onReject: RejectionHook,
  ) {
    this.#instance = instance;
    this.#breakers = breakers;
    this.#admission = admission;
    this.#onReject = onReject;
    this.#ctiWeight = ctiWeight;
    this.#targets = breakers.fleetIds();
    this.#pairs = breakers.forTenant(UNKNOWN_TENANT);
    this.#unknown = { tenant: UNKNOWN_TENANT, admission: admission.forTenant(UNKNOWN_TENANT), pairs: this.#pairs, pool: undefined };
    this.#state = { tenants: tables.compiled, breakerState: (k) => this.#stateOf(k), ctiWeight: (k) => this.#ctiWeight(this.#tenant, k) };
  }

  /** The context of `tenant`'s calls: its own for a known tenant, the shared one of unknown tenants otherwise. */
  context(tenant: string, known: boolean): TenantContext {
    if (!known) return this.#unknown;
    let c = this.#contexts.get(tenant);
    if (c === undefined) {
      c = { tenant, admission: this.#admission.forTenant(tenant), pairs: this.#breakers.forTenant(tenant), pool: undefined };
      // Past the bound on tenants with state of their own the tenant shares the unknown tenants' (not cached).
      if (c.admission.tenant === tenant) this.#contexts.set(tenant, c);
    }
    return c;
  }

  /**
   * Decides and takes the permits the decision needs.
   * @param ctx {@link context} of the tenant
   * @param t the tenant's compiled table (undefined for an unknown tenant)
   * @param ts decision time, epoch ms
   * @param intent the caller's intent ('' when none), for the record
   */
  route(
    ctx: TenantContext,
    t: CompiledTenant | undefined,
    tenant: string,
    skillGroup: string,
    priority: Priority,
    callId: string,
    ts: number,
    intent: string,
  ): RoutedCall {
    const adm = ctx.admission;
    this.#tenant = ctx.tenant;
    this.#pairs = ctx.pairs;
    // While the tenant's proxy reports nothing, limiters and throttle have no feedback: their counts would be lost outcomes, not load.
    // Quiet counts from the first decision at the earliest: a tenant's first calls are not quiet for want of history.
    if (Number.isNaN(adm.lastDecisionAt)) adm.firstDecisionAt = ts;
    const quiet = ts - Math.max(adm.reportedFor, adm.firstDecisionAt) >= this.#quietGap(adm);
    const gap = ts - adm.lastDecisionAt;
    if (gap >= 0) adm.decisionGapMs = Number.isNaN(adm.decisionGapMs) ? gap : adm.decisionGapMs + (gap - adm.decisionGapMs) * 0.05;
    adm.lastDecisionAt = ts;
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
    let pair: TargetBreakers | null = null;
    let slot: LimiterPermit | null = null;
    let primary = false;
    for (let i = 0; i < 16 && d === undefined; i++) {
      const c = decide({ tenant, skillGroup, priority, callId, admitted, exclude }, this.#state);
      if (c.target === 'reject') {
        d = c;
        break;
      }
      const key = c.breakerKey;
      // A probe's outcome is what a half-open trial waits for: while the proxy reports nothing, none would come.
      if (quiet && c.probe) {
        (exclude ??= []).push(key);
        continue;
      }
      const onPrimary = t !== undefined && c.target === 'agent' && this.#isPrimary(t, key);
      const toPrimary = onPrimary && !quiet;
      // Quiet, one call in CANARY goes to a backup instead: its outcome, if it comes, shows the proxy is reporting,
      // so a primary that alone stays silent is a silent node (see `expire`), not a proxy losing outcomes.
      const canary = quiet && onPrimary && !c.probe && ++adm.canary % CANARY === 0;
      // Counted by the throttle as sent to the primary; taken back below if the primary is not what it gets.
      const counted = toPrimary && !c.probe && this.#anyBackup(t!);
      if ((canary && this.#anyBackup(t!)) || (counted && adm.throttle(key).route() === 'spill')) {
        (exclude ??= []).push(key);
        spilled = true;
        continue;
      }
      const limiter = adm.limiter(key);
      let s = limiter === undefined ? null : limiter.tryAcquire(priority);
      // A full limiter may be full of lost outcomes: those slots stop counting (see `reclaim`), and it is asked again.
      if (limiter !== undefined && s === null && this.reclaim?.(ctx, key, ts) === true) s = limiter.tryAcquire(priority);
      // While the proxy reports nothing the limiter has no feedback: its count is of lost outcomes, not of load.
      if (limiter !== undefined && s === null && !quiet) {
        if (counted) adm.throttle(key).forget();
        this.#onReject(tenant, c.level, 'limiter', key);
        (exclude ??= []).push(key);
        continue;
      }
      const p = this.#pairs.get(key);
      if (p !== undefined && !this.#acquire(p)) {
        if (counted) adm.throttle(key).forget();
        if (s !== null) limiter!.onIgnore(s);
        (exclude ??= []).push(key);
        continue;
      }
      d = c;
      pair = p ?? null;
      slot = s;
      primary = toPrimary;
    }
    if (d === undefined) d = decide({ tenant, skillGroup, priority, callId, admitted, exclude: this.#targets }, this.#state);
    else if (pair !== null) sent(adm, pair, ts);
    const own = pair === null ? null : this.#own;
    const fleet = pair === null ? null : this.#fleet;
    return new RoutedCall(
      ts,
      tenant,
      skillGroup,
      callId,
      priority,
      intent,
      this.#instance,
      d,
      adm,
      pair,
      own,
      fleet,
      slot,
      primary,
      spilled,
      admitted,
    );
  }

  /**
   * Feeds an outcome to the target's breakers, the tenant's limiter and throttle (see `outcome.ts` for
   * what each kind does): `connected` is a success, `failed` a failure with its latency, `timeout` a
   * failure without one; `abandoned` and `not-attempted` say nothing about the node (a probe permit
   * goes back to the next call). Only `connected` and `failed` feed the latency the CTI signal reads.
   * @param late the decision's slot was released already (its outcome came after the slot's time-out):
   *   the breakers still hear it, the limiter does not
   */
  outcome(h: Held & { readonly ts: number }, kind: OutcomeKind, latencyMs: number, now: number, late = false): void {
    // The usual reporting delay is learnt from answers only: a time-out comes at the proxy's deadline by definition.
    reported(h.admission, h.ts, now, !late && nodeAnswered(kind));
    answered(h.pair, kind, h.ts);
    this.#apply(h, kind, latencyMs, late);
  }

  /** What an outcome does to the breakers, the limiter and the throttle (see {@link outcome}). */
  #apply(h: Held, kind: OutcomeKind, latencyMs: number, late: boolean): void {
    const p = h.pair;
    if (p !== null) {
      // A late outcome's probe permit went back when its slot timed out: the trial has moved on without it.
      if (h.permit !== null && !(late && h.permit.probe)) feed(p.own, h.permit, kind, latencyMs);
      // The fleet breaker hears only its probes: its figures are the sum of the tenants' windows (see the registry).
      const fp = h.fleetPermit;
      if (fp?.probe && !late) {
        const failed = isFailure(kind) || (kind === 'connected' && latencyMs >= p.fleet.config.slowCallMs);
        if (isNeutral(kind) || (failed && !this.#breakers.corroborated(p.target, h.admission.tenant))) p.fleet.release(fp);
        else feed(p.fleet, fp, kind, latencyMs);
      }
    }
    if (h.slot !== null && !late) {
      const l = h.admission.limiter(h.decision.breakerKey);
      if (kind === 'connected') l?.onSuccess(h.slot, latencyMs);
      else if (isFailure(kind)) l?.onDrop(h.slot);
      else l?.onIgnore(h.slot);
    }
    if (h.primary) {
      const t = h.admission.throttle(h.decision.breakerKey);
      if (kind === 'connected') t.onAccept();
      else if (isNeutral(kind)) t.forget();
    }
  }

  /**
   * Counts the outcome of a decision whose deciding instance is gone (its permits, slot and
   * throttle died with it) in `tenant`'s own breaker for `breakerKey`, when that breaker is
   * closed (an open one ignores late outcomes, a half-open one hears only its probes).
   * @returns whether it counted
   */
  orphan(tenant: string, known: boolean, breakerKey: string, kind: OutcomeKind, latencyMs: number, decidedAt: number): boolean {
    const ctx = this.context(tenant, known);
    reported(ctx.admission, decidedAt, decidedAt, false);
    const p = ctx.pairs.get(breakerKey);
    if (p === undefined) return false;
    answered(p, kind, decidedAt);
    if (isNeutral(kind) || p.own.machineState.name !== 'closed') return false;
    const permit = p.own.tryAcquire();
    if (permit === null || permit.probe) return false;
    feed(p.own, permit, kind, latencyMs);
    return true;
  }

  /**
   * A decision whose outcome did not come within the slot's time-out: releases its concurrency slot
   * (its call is no longer counted as load) and decides what the silence says about the node.
   *
   * The silent-node rule: the silence counts as a time-out of the node (a failure for its breakers,
   * a back-off of its limiter) only when the tenant's proxy reported the outcome of another call decided
   * after this one while the node was still being sent calls (it was reporting in that period), and this
   * node answered none of the tenant's calls decided since (neither connected nor failed). So a node that
   * stopped answering trips even when the proxy reports nothing for its calls, and a proxy that drops
   * outcomes — all of them, or some at random — never opens a healthy node's breaker: when it drops them
   * all, nothing says it was reporting; when it drops some, the node keeps answering the others. The
   * evidence must come from the period the node was being sent calls: reports of calls decided after its
   * last call (reporting that resumed while the calls went elsewhere) say nothing about the node's silence.
   * Otherwise the decision is "unknown": neutral, a probe permit goes back to the next call.
   * @returns whether it counted as a time-out
   */
  expire(h: RoutedCall): boolean {
    const p = h.pair;
    if (silent(p, h.ts)) {
      h.timedOut = true;
      this.#apply(h, 'timeout', Number.NaN, false);
      return true;
    }
    this.release(h);
    if (p !== null) {
      if (h.permit?.probe) p.own.release(h.permit);
      if (h.fleetPermit?.probe) p.fleet.release(h.fleetPermit);
    }
    return false;
  }

  /**
   * Notes an outcome that says nothing more to the breakers (a late one whose silence counted already):
   * the tenant's proxy is reporting, and whether the node answered.
   */
  heard(h: Held & { readonly ts: number }, kind: OutcomeKind, now: number): void {
    reported(h.admission, h.ts, now, false);
    answered(h.pair, kind, h.ts);
  }

  /**
   * How long a decision may await its outcome before a full limiter presumes it lost, ms: {@link quietMs}, or four
   * times the proxy's usual delay from a decision to its answer's report when that is longer (a slow node, or a
   * proxy that reports late, keeps its calls counted longer).
   */
  quietAfter(a: TenantAdmission): number {
    const d = a.reportDelayMs;
    return d > 0 ? Math.max(this.quietMs, 4 * d) : this.quietMs;
  }

  /**
   * How long decisions may go without any outcome of the tenant arriving before its proxy counts as not reporting,
   * ms: one and a half times its usual reporting delay (at least 20 ms), or {@link quietMs} before that is known;
   * and at least {@link QUIET_DECISIONS} times its usual time between decisions, so a tenant with a call now and
   * then is not taken for a quiet one.
   */
  #quietGap(a: TenantAdmission): number {
    const d = a.reportDelayMs;
    const g = a.decisionGapMs;
    return Math.max(d > 0 ? Math.max(20, 1.5 * d) : this.quietMs, g >= 0 ? QUIET_DECISIONS * g : 0);
  }

  /**
   * Stops counting the slot of a decision whose outcome is presumed lost: its node answered other calls of the
   * tenant since (a report lost among answered ones), or the tenant's proxy reported nothing of the period since in
   * which the node was sent calls (it lost them). Not when the silent-node rule of {@link expire} holds: that is a
   * silent node, whose calls keep counting until the outcome time-out so its limiter keeps sending calls elsewhere.
   * @returns whether the slot was released
   */
  presumeLost(h: Held & { readonly ts: number }): boolean {
    if (h.slot === null) return false;
    if (silent(h.pair, h.ts)) return false;
    h.admission.limiter(h.decision.breakerKey)?.onIgnore(h.slot);
    return true;
  }

  /** Releases the slot of a decision dropped unanswered by a bound (breaker permits are left alone). */
  release(h: Held): void {
    if (h.slot !== null) h.admission.limiter(h.decision.breakerKey)?.onIgnore(h.slot);
  }

  /** Whether CTI breaker `key` is one of `t`'s primary nodes. */
  #isPrimary(t: CompiledTenant, key: string): boolean {
    const nodes = t.nodes;
    for (let i = 0; i < nodes.length; i++) if (nodes[i]!.key === key) return nodes[i]!.primary;
    return false;
  }

  /** Whether one of `t`'s backup CTI nodes may take a call (where the throttle can spill to). */
  #anyBackup(t: CompiledTenant): boolean {
    const keys = t.backupKeys;
    for (let i = 0; i < keys.length; i++) if (passable(this.#stateOf(keys[i]!))) return true;
    return false;
  }

  #stateOf(key: string): BreakerStateName {
    const p = this.#pairs.get(key);
    return p === undefined ? this.#breakers.stateOf(key) : effectiveState(p);
  }

  /** Takes the permits of both breakers of `p` into #own / #fleet; false (nothing held) when either refuses. */
  #acquire(p: TargetBreakers): boolean {
    this.#own = null;
    this.#fleet = p.fleet.tryAcquire();
    if (this.#fleet === null) return false;
    if (p.fleet.state === 'forced-closed') return true;
    this.#own = p.own.tryAcquire();
    if (this.#own !== null) return true;
    p.fleet.release(this.#fleet);
    this.#fleet = null;
    return false;
  }
}
