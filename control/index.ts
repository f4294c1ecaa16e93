/**
 * The control room's public surface: the pure domain core of the control loop
 * (breakers, levels, admission, policy, routing) and the small ports the
 * adapters implement (ProbeBudget, SignalSource, PolicyStore), and the integration
 * half built on it: the control service, its routes, shared state, signals,
 * decision log and callback tickets. See README.md.
 */
export * from './types.js';
export { CONTROL_ERRORS, controlError } from './errors.js';
export type { ControlErrorCode } from './errors.js';

export { CircuitBreaker } from './breaker/breaker.js';
export type { BreakerEvents, BreakerJSON, BreakerOptions, BreakerSnapshot, BreakerTransition, Permit } from './breaker/api.js';
export { DEFAULT_BREAKER_CONFIG, resolveBreakerConfig } from './breaker/config.js';
export type { BreakerConfig } from './breaker/config.js';
export { LEGAL_TRANSITIONS, deadline, effectiveK, initialBreakerState, openDurationMs, transition } from './breaker/machine.js';
export type { BreakerInput, BreakerState, BreakerStateName } from './breaker/machine.js';
export { InMemoryProbeBudget } from './breaker/probe-budget.js';
export type { ProbeBudget } from './breaker/probe-budget.js';
export { SlidingWindow } from './breaker/window.js';
export type { WindowCounts, WindowJSON } from './breaker/window.js';

export { COMPONENTS, DEFAULT_PRESSURE_CONFIG, assessPressure, normalise, resolvePressureConfig } from './levels/pressure.js';
export type { Component, PressureConfig, PressureReading, Signals } from './levels/pressure.js';
export { RateEwma, ewmaStep } from './levels/ewma.js';
export { DEFAULT_LEVEL_CONFIG, resolveLevelConfig, resolveLevelConfigs } from './levels/config.js';
export type { LevelConfig } from './levels/config.js';
export { expireOverride, initialLevelState, pinLevel, stepLevel, targetLevel, unpinLevel } from './levels/machine.js';
export type { LevelChange, LevelChangeKind, LevelState, LevelStep } from './levels/machine.js';
export { LevelController, scopeKey } from './levels/controller.js';
export type { LevelControllerJSON, LevelControllerOptions, Scope, ScopedLevelChange } from './levels/controller.js';
export { ControlLoop } from './levels/loop.js';
export type { ControlLoopOptions, LoopTick, SignalSource } from './levels/loop.js';

export { TokenBucket, refill } from './admission/token-bucket.js';
export type { TokenBucketConfig, TokenBucketState } from './admission/token-bucket.js';
export { AdaptiveLimiter, resolveLimiterConfig } from './admission/limiter.js';
export type { LimiterConfig, LimiterJSON, LimiterPermit } from './admission/limiter.js';
export { DEFAULT_SHARES, admits } from './admission/shares.js';
export type { Shares } from './admission/shares.js';
export { ClientThrottle, rejectProbability } from './admission/client-throttle.js';
export type { ClientThrottleConfig, ThrottleRoute } from './admission/client-throttle.js';

export { DEFAULT_POLICY } from './policy/defaults.js';
export { LEVEL_KEYS, POLICY_SCHEMA, validatePolicy } from './policy/schema.js';
export type { LevelPolicy, TenantPolicy } from './policy/schema.js';
export { InMemoryPolicyStore, effectivePolicy, nextPolicyRecord, rolledBackRecord } from './policy/store.js';
export { slowedTenants } from './policy/non-critical.js';
export type { ScopeLevelOf } from './policy/non-critical.js';
export type { PolicyRecord, PolicyStore, PolicyUpdateOptions, PolicyVersion } from './policy/store.js';

export { decide } from './router.js';
export type { RouteRequest, RouteState } from './router.js';
export { CHANNEL_BREAKER_KEYS, compileTenant, ctiBreakerKey } from './routing-table.js';
export type { CompiledTenant, RouteDecision, RouteTarget, TenantRouting } from './routing-table.js';

// The integration half: the service, its ports and adapters, routes and wiring.
export { OUTCOME_KINDS, MAX_OUTCOME_LATENCY_MS, isOutcomeKind, toOutcome } from './outcome.js';
export type { LegacyOutcome, OutcomeKind, OutcomeReport } from './outcome.js';
export { ControlService } from './service.js';
export type {
  ControlEvents,
  ControlServiceOptions,
  ControlStateView,
  ControlStats,
  DecisionEvent,
  LimitName,
  OutcomeResult,
  RefusalKind,
  RouteAnswer,
  RouteInput,
  RouteOutcome,
} from './service-types.js';
export { controlRoutes } from './http/routes.js';
export type { ControlRoutesOptions } from './http/routes.js';
export { createControl } from './wire.js';
export type { Control, CreateControlOptions } from './wire.js';
export { StaticRealtimeView } from './signals/snapshot.js';
export type { RealtimeView } from './signals/snapshot.js';
export { SnapshotSignalSource } from './signals/source.js';
export type { CtiHealth, ScopeSignals, SnapshotSourceOptions } from './signals/source.js';
export { EventLoopLag } from './signals/engine.js';
export type { EngineHealth } from './signals/engine.js';
export { KEYS as CONTROL_KEYS } from './fleet/keys.js';
export type { LevelsMessage, PublishedLevels, PublishedScopeLevel } from './fleet/levels-sync.js';
export { readLevelsMessage } from './fleet/levels-sync.js';
export { BufferedDecisionLog } from './log/buffered.js';
export { ClickHouseLogWriter, controlMigrations } from './log/clickhouse.js';
export { MemoryLogWriter, memoryDecisionLog } from './log/memory.js';
export type { ControlLogRecord, DecisionLog, DecisionRecord, LevelChangeRecord, LogStats, LogWriter } from './log/types.js';
export { InMemoryCallbackTickets, TicketDispatcher } from './tickets/tickets.js';
export { StateStoreProbeBudget } from './fleet/probe-budget.js';
export { StateStorePolicyStore } from './fleet/policy-store.js';
export { SharedNonCriticalGate } from './fleet/levels-reader.js';
export type { SharedNonCriticalGateOptions } from './fleet/levels-reader.js';
export { localNonCriticalGate } from './non-critical-gate.js';
export type { SharedStatus } from './fleet/coordinator.js';
export { DEPENDENCY_BREAKERS } from './runtime/breakers.js';
export type { RegistryTransition } from './runtime/breakers.js';
export type { LevelEvent } from './runtime/levels.js';
