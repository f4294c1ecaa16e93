/**
 * The control service's public shapes: options, the route call and answer,
 * the state view, and the typed events metrics and logs subscribe to.
 */
import type { Clock } from '../adapters/clock.js';
import type { StateStore } from '../adapters/state/types.js';
import type { ClientThrottleConfig } from './admission/client-throttle.js';
import type { LimiterConfig } from './admission/limiter.js';
import type { BreakerSnapshot } from './breaker/api.js';
import type { BreakerConfig } from './breaker/config.js';
import type { LevelConfig } from './levels/config.js';
import type { Scope } from './levels/controller.js';
import type { LevelState } from './levels/machine.js';
import type { PressureConfig, Signals } from './levels/pressure.js';
import type { DecisionLog, LogStats } from './log/types.js';
import type { RouteTarget } from './routing-table.js';
import type { RegistryTransition } from './runtime/breakers.js';
import type { LevelEvent } from './runtime/levels.js';
import type { CtiNodes } from './runtime/tenants.js';
import type { SharedStatus } from './fleet/coordinator.js';
import type { EngineHealth } from './signals/engine.js';
import type { RealtimeView } from './signals/snapshot.js';
import type { Logger } from '../core/logger.js';
import type { CallbackTickets } from '../core/messages.js';
import type { Level, Priority, Random } from './types.js';
import type { OutcomeKind } from './outcome.js';

/** Options of {@link ControlService}. Durations in ms. */
export interface ControlServiceOptions {
  readonly clock: Clock;
  /** Names this instance in logs, the decision log and leadership. */
  readonly instanceId: string;
  readonly realtime: RealtimeView;
  /** Shared state: Redis in a fleet, the in-memory twin for one process. */
  readonly stateStore: StateStore;
  readonly decisionLog?: DecisionLog;
  readonly callbackTickets?: CallbackTickets;
  readonly engineHealth?: EngineHealth;
  /** Event-loop lag source, ms (default: a `monitorEventLoopDelay` histogram). */
  readonly loopLagMs?: () => number;
  /** CTI nodes (default primary `cti-primary`, backup `cti-backup`). */
  readonly ctiNodes?: CtiNodes;
  /**
   * What `route()` does with a skill group a tenant does not know, where its policy says nothing
   * (`SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS`): `refuse` (default; 422) or `tenant-level`.
   */
  readonly unknownSkillGroups?: 'refuse' | 'tenant-level';
  /** Tenants known from configuration (others become known from snapshots, policies or the leader). */
  readonly tenants?: readonly string[];
  /** Tick period (default 1000). */
  readonly tickMs?: number;
  /** Leader lease (default 5000; must exceed tickMs). */
  readonly leaseMs?: number;
  /** Longest wait for any StateStore call (default 250). */
  readonly storeTimeoutMs?: number;
  /**
   * Secret shared by the control instances of a fleet (at least 32 bytes), from which decision ids are
   * signed so that any instance can take an outcome (default: random per process, so only the deciding
   * instance can).
   */
  readonly decisionKey?: string;
  /** How long a decision's outcome is taken, and a repeat of it recognised (default 60 000). */
  readonly decisionTtlMs?: number;
  /**
   * How long a decision holds its concurrency slot awaiting its outcome (default 10 000, at most
   * `decisionTtlMs`); then it is "unknown": the slot is released and the silence counts as a time-out of the
   * node only under the silent-node rule (`RouteEngine.expire`). Set it above the longest a proxy waits for a
   * node plus the time its report takes (Kamailio's `fr_timer` is 5 s by default).
   */
  readonly outcomeTimeoutMs?: number;
  /**
   * The least time a tenant's proxy may report no outcome while calls are routed before it counts as not
   * reporting (default 250; four times the proxy's usual decision-to-outcome delay when that is longer): a full
   * limiter then lets calls pass without a slot, the client-side throttle stops counting, and half-open targets are
   * not probed. Also how old a slot must be before a full limiter presumes its outcome lost (`RouteEngine.presumeLost`).
   */
  readonly outcomeQuietMs?: number;
  /** Most decisions awaiting an outcome, over all tenants (default 100 000). */
  readonly maxPendingDecisions?: number;
  /** Most decisions of one tenant awaiting an outcome (default 25 000): past it the tenant's own oldest go. */
  readonly maxPendingPerTenant?: number;
  /** Tenants whose own breakers for a target must be open at once to open its fleet breaker (default 2). */
  readonly breakerQuorum?: number;
  /** Bounds of each tenant's skill-group scopes (default 5000 groups, dropped after 10 min unseen at L0). */
  readonly scopes?: { readonly maxGroupsPerTenant?: number; readonly idleMs?: number };
  /** Snapshots older than this are ignored (default 15 000). */
  readonly staleSnapshotMs?: number;
  readonly levels?: { readonly defaults?: Partial<LevelConfig>; readonly tenants?: Readonly<Record<string, Partial<LevelConfig>>> };
  /**
   * The service-level wait target, ms (`SLUICE_SERVICE_LEVEL_MS`): the pressure's `targetWaitMs`, with the
   * longest-wait ramp full at three times it, unless `pressure` sets them (a tenant's policy `tuning` may too).
   */
  readonly serviceLevelMs?: number;
  /**
   * A tenant's own service-level threshold, ms (`SLUICE_SERVICE_LEVEL_TENANTS`): its pressure's wait target in place
   * of `serviceLevelMs` (`pressure` and the tenant's policy `tuning` still override it). Default: `serviceLevelMs`.
   */
  readonly serviceLevelMsOf?: (tenant: string) => number;
  readonly pressure?: Partial<PressureConfig>;
  /** Trunk utilisation reports: how long one counts (default 60 000) and most trunks per tenant (default 64). */
  readonly trunks?: { readonly ttlMs?: number; readonly maxPerTenant?: number };
  /** Breaker config per breaker id. */
  readonly breakers?: (id: string) => Partial<BreakerConfig> | undefined;
  readonly limiter?: Partial<LimiterConfig>;
  readonly throttle?: Partial<ClientThrottleConfig>;
  readonly random?: Random;
  /** Where the service logs (a pino logger fits); default silent. */
  readonly log?: Logger;
}

/** `POST /v1/route`'s question. */
export interface RouteInput {
  readonly tenant: string;
  readonly callId: string;
  readonly skillGroup: string;
  readonly priority: Priority;
  /** Logged with the decision and carried into its callback ticket, if any; the policy table does not route on it. */
  readonly intent?: string;
  /** IVR steps before the transfer: carried into the decision's callback ticket, if any; not used by the router. */
  readonly ivrTrajectory?: readonly string[];
}

/** The answer. `reject` (every channel unavailable, keypad IVR included) means: play the overload message. */
export interface RouteAnswer {
  readonly decisionId: string;
  readonly target: RouteTarget;
  readonly ctiNode?: string;
  readonly level: Level;
  readonly reason: string;
}

export type { LegacyOutcome, OutcomeKind, OutcomeReport, RouteOutcome } from './outcome.js';

/**
 * What became of a reported outcome: `taken` (on time), `late` (after the decision's slot timed out: the
 * breakers hear it, the slot was released already), `repeat` (the same outcome again), `conflict` (another
 * outcome after one was taken: ignored, counted), `unknown` (no such decision: unknown, expired, forged or
 * another tenant's). The API answers 204 for all but `unknown` (404).
 */
export type OutcomeResult = 'taken' | 'late' | 'repeat' | 'conflict' | 'unknown';

/** What `GET /v1/control/state` shows. */
export interface ControlStateView {
  readonly at: number;
  readonly instance: string;
  readonly shared: SharedStatus;
  readonly levels: readonly (Scope & {
    readonly level: Level;
    readonly since: number;
    readonly reason: string;
    readonly override: LevelState['override'];
    readonly pressure?: number;
    readonly top?: string | null;
  })[];
  /** Fleet breakers (one per target and dependency). */
  readonly breakers: readonly BreakerSnapshot[];
  /** Each tenant's own breakers (only the asked tenant's in a tenant view). */
  readonly tenantBreakers: readonly (BreakerSnapshot & { readonly tenant: string; readonly target: string })[];
  readonly signals: readonly (Scope & { readonly asOf: number; readonly signals: Signals })[];
  readonly admission: {
    readonly buckets: readonly {
      readonly tenant: string;
      readonly level: number;
      readonly ratePerSec: number;
      readonly burst: number;
      readonly share: number;
      readonly tokens: number;
      readonly refused: number;
    }[];
    /** Concurrency limits per tenant and target ("" = tenants without a routing table). */
    readonly limits: readonly { readonly tenant: string; readonly key: string; readonly limit: number; readonly inflight: number }[];
  };
}

/** Counters for metrics. */
export interface ControlStats {
  /** `tenantEvicted`: evicted by a tenant's own bound (of `evicted`). */
  readonly decisions: { readonly pending: number; readonly evicted: number; readonly tenantEvicted: number; readonly expired: number };
  /**
   * Outcomes of decisions made by other instances, as taken here: handed to the deciding instance
   * (`relayed`), counted here because it was gone (`orphaned`), refused (`refused`: bad id, another
   * tenant's, expired; `duplicate`: claimed before; `unavailable`: shared store unreachable, 503); and
   * outcomes handed here by peers and applied (`applied`).
   */
  readonly remoteOutcomes: Readonly<Record<'relayed' | 'applied' | 'orphaned' | 'duplicate' | 'refused' | 'unavailable', number>>;
  /**
   * Outcomes taken, by kind (here, or for a decision whose instance was gone); `late` of those after the slot's
   * time-out; `repeat` and `conflict`: repeats of an outcome taken before (the same, or another: ignored).
   */
  readonly outcomes: Readonly<Record<OutcomeKind | 'late' | 'repeat' | 'conflict', number>>;
  /**
   * Decisions whose outcome did not come within the slot's time-out (`expired`), and of those counted as
   * time-outs of a silent node (`timedOut`); slots released earlier because a full limiter found their outcome
   * presumed lost (`presumedLost`, see `RouteEngine.presumeLost`).
   */
  readonly unknown: { readonly expired: number; readonly timedOut: number; readonly presumedLost: number };
  /** Route requests refused for an unknown tenant or skill group, and unknown skill groups routed at the tenant level by policy. */
  readonly refusals: Readonly<Record<RefusalKind, number>>;
  /** Skill-group scopes: tracked now, refused by the per-tenant bound, dropped as idle. */
  readonly scopes: { readonly tracked: number; readonly refused: number; readonly evicted: number };
  /** Requests answered 429 by the per-key rate limits, by limit. */
  readonly rateLimited: Readonly<Record<'route' | 'outcome' | 'api', number>>;
  readonly log: LogStats | null;
  readonly tickets: {
    readonly queued: number;
    readonly inflight: number;
    readonly created: number;
    readonly failures: number;
    readonly retries: number;
    readonly dropped: number;
    readonly abandoned: number;
  };
}

/** Why a route request was refused (or, `tenant-level`, routed at the tenant's level for an unknown skill group). */
export type RefusalKind = 'unknown-tenant' | 'unknown-skill-group' | 'tenant-level';

/** The bounds that count when they bite (see the `limit` event). */
export type LimitName = 'route' | 'outcome' | 'api' | 'pending-tenant' | 'pending-total' | 'skill-groups';

/** Payload of `decision`. */
export interface DecisionEvent {
  readonly tenant: string;
  readonly skillGroup: string;
  readonly priority: Priority;
  readonly target: RouteTarget;
  readonly level: Level;
  readonly ctiNode: string | undefined;
  readonly probe: boolean;
  /** Sent to the backup CTI by the client-side throttle. */
  readonly spilled: boolean;
  /** False when the admission bucket refused agents. */
  readonly admitted: boolean;
  /** Server time spent deciding, ns. */
  readonly durationNs: number;
}

/** Events of the service (no listener, no cost). */
export interface ControlEvents {
  /** A level changed here (computed, pinned) or was adopted from the leader. */
  level: LevelEvent;
  /** A fleet breaker changed state (here, or applied from a peer). */
  breaker: RegistryTransition;
  /** A tenant's own breaker for a target changed state (`breakerId` is `<target>@<tenant>`). */
  'tenant-breaker': RegistryTransition & { readonly tenant: string };
  decision: DecisionEvent;
  /** A call was refused by a tenant's bucket or a target's concurrency limit. */
  'admission-rejected': { readonly tenant: string; readonly level: Level; readonly kind: 'bucket' | 'limiter'; readonly key: string };
  /**
   * A bound bit: a 429 of a per-key rate limit (`route`, `outcome`, `api`), a
   * pending decision dropped by its tenant's bound (`pending-tenant`) or the
   * total (`pending-total`), a skill group refused by its tenant's bound (`skill-groups`).
   */
  limit: { readonly limit: LimitName; readonly tenant: string };
  /** An outcome taken (`success`: connected; `latencyMs` absent for the kinds that carry none; `late`: after the slot's time-out). */
  outcome: {
    /** The tenant of the decision (as the caller named it: unbounded for an unknown tenant's safe default). */
    readonly tenant: string;
    readonly target: RouteTarget;
    readonly breakerKey: string;
    readonly outcome: OutcomeKind;
    readonly success: boolean;
    readonly latencyMs: number | undefined;
    readonly late: boolean;
  };
  /** A decision's outcome did not come within the slot's time-out; `timedOut`: counted as a time-out of a silent node. */
  unknown: { readonly tenant: string; readonly target: RouteTarget; readonly breakerKey: string; readonly timedOut: boolean };
  /** A route request named an unknown tenant or skill group (`tenant-level`: routed at the tenant's level by policy). */
  refused: { readonly kind: RefusalKind; readonly tenant: string; readonly skillGroup: string | undefined };
  tick: {
    readonly at: number;
    readonly computed: boolean;
    readonly leader: boolean;
    readonly reachable: boolean;
    readonly durationMs: number;
  };
}
