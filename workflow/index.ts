/**
 * The workflow service's domain core: flow definitions and their validation, business
 * calendars and SLA schedules, timers and notification channels, and the ticket engine.
 * Pure where it can be; I/O only through the ports below, each with an in-memory twin.
 *
 * Ports a deployment implements (Redis in production): {@link TicketStore},
 * {@link TimerStore}, {@link FlowRepository}, {@link RoundRobinCounter}, and optionally
 * {@link WorkloadSource} and {@link PeopleDirectory}; {@link HistorySink} for analytics.
 *
 * The integration half lives beside it and is imported directly, so this barrel pulls in
 * no client library: `workflow/wire.ts` (`createWorkflow`, the one wiring function),
 * `workflow/routes.ts` (the fastify plugin), `workflow/redis/` (ioredis adapters) and
 * `workflow/history/clickhouse.ts`.
 */
export { WORKFLOW_ERROR_CODES, workflowError, type WorkflowErrorCode } from './errors.js';

export { compileFlow, type CompiledControl, type CompiledFlow, type CompiledNode, type CompileOptions } from './definition/compile.js';
export type { AssigneesDoc, ControlDoc, FlowDocument, NodeDoc, PermissionsDoc, SlaDoc, TriggerDoc, WarningDoc } from './definition/document.js';
export { compileExpression, evaluateCondition, evaluatePeople, type CompiledExpression, type ExpressionContext, type ExpressionKind } from './definition/expression.js';
export { issuesOf, type ValidationIssue } from './definition/issues.js';
export { loadFlow, parseFlowSource, type FlowFormat, type LoadOptions } from './definition/load.js';
export {
  defineNodeType,
  NodeTypeRegistry,
  type CompileContext,
  type NodeBehaviour,
  type NodeEntry,
  type NodeType,
  type NotificationSpec,
  type RegisteredNodeType,
  type TodoSpec,
  type TodoState,
} from './definition/node-type.js';
export { approvalNode, defaultNodeTypes, endNode, notifyNode, startNode, taskNode } from './definition/node-types/index.js';
export { allows, type Actor, type FlowPermission, type FlowPermissions } from './definition/permissions.js';
export { matchTrajectory, selectFlow, type CompiledTrigger, type TriggerInput } from './definition/triggers.js';

export { chooseAssignee, type AssignmentInput, type Person } from './people/assignment.js';
export { MemoryPeopleDirectory, MemoryRoundRobinCounter, type DirectoryEntry } from './people/memory.js';
export type { PeopleDirectory, PrincipalRef, RoundRobinCounter, WorkloadSource } from './people/ports.js';
export type { AssignmentStrategy, PeopleSource, PeopleSpec } from './people/spec.js';

export { BusinessCalendar, continuousTime, WEEKDAYS, type CalendarSpec, type Weekday, type WorkingTime } from './sla/calendar.js';
export { formatDuration, parseDuration } from './sla/duration.js';
export { MemoryTimerStore, type MemoryTimerStoreOptions } from './sla/memory-timer-store.js';
export { ChannelRegistry, notificationPayload, type ChannelRegistryOptions, type Notification, type NotificationChannel, type Notifier } from './sla/notifier.js';
export { CHANNELS, type ChannelName, type SlaPolicy, type WarningPolicy } from './sla/policy.js';
export { computeSchedule, dueAt, isPaused, pauseClock, reapplyPolicy, resumeClock, slaElapsed, startClock, stopClock, type Pause, type ScheduleEntry, type SlaClock } from './sla/schedule.js';
export { TimerService, type FireResult, type TimerServiceEvents, type TimerServiceOptions } from './sla/timer-service.js';
export { DEFAULT_TIMER_LEASE_MS, type SlaTimer, type TimerRef, type TimerStore } from './sla/timer-store.js';
export { createLogChannel } from './sla/channels/log.js';
export { createWebhookChannel, type FetchLike, type WebhookChannelOptions } from './sla/channels/webhook.js';

export type { Action, ApproveAction, CommentAction, CompleteAction, PauseAction, ReassignAction, RejectAction, ResumeAction } from './engine/actions.js';
export { applyAssignments, planAssignments, type AssignmentPick, type AssignmentPorts } from './engine/assign.js';
export { createTicket, type NewTicket } from './engine/create.js';
export { WorkflowEngine, type CreateTicketRequest, type DiversionRequest, type IvrRequest, type TicketTransition, type WorkflowEngineEvents, type WorkflowEngineOptions, type WriteOptions } from './engine/engine.js';
export { FlowCatalog, MemoryFlowRepository, type FlowCatalogOptions, type FlowRepository } from './engine/flow-store.js';
export { MemoryTicketStore } from './engine/memory-ticket-store.js';
export { migrateTicket, type MigrationRequest } from './engine/migrate.js';
export type { AuditEntry, Comment, Ticket, TicketEvent, TicketOrigin, TicketState, Todo, TransitionResult } from './engine/ticket.js';
export type { TicketFilters, TicketPage, TicketStore } from './engine/ticket-store.js';
export { slaTimerId, teamOf, timersForTicket } from './engine/timers.js';
export { applyAction } from './engine/transition.js';

export { callbackTicketId, callbackTicketsFor } from './callback.js';
export { MemoryHistory } from './history/memory.js';
export { slaWarningRow, ticketEventRows } from './history/rows.js';
export type { BreachGrouping, BreachRateQuery, BreachRateRow, HistoryQueries, HistorySink, HistoryStore, SlaWarningRow, TicketEventRow } from './history/types.js';
export { observeWorkflow, recordHistory, type SlaFiring, type TicketStateChange, type WorkflowObserver } from './metrics.js';
