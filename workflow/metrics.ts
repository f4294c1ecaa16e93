import type { WorkflowEngine } from './engine/engine.js';
import type { TicketState } from './engine/ticket.js';
import type { HistorySink } from './history/types.js';
import { slaWarningRow, ticketEventRows } from './history/rows.js';
import type { FireResult, TimerService } from './sla/timer-service.js';

/** A ticket entered a state (`from` absent when it was just created). */
export interface TicketStateChange {
  readonly tenant: string;
  readonly flowId: string;
  readonly from?: TicketState;
  readonly to: TicketState;
}

/** An SLA timer was handled by this instance. */
export interface SlaFiring {
  readonly tenant: string;
  readonly flowId: string;
  /** `warning`, `breach` or `notify`. */
  readonly kind: string;
  /** Warning level (1-based); 0 for breach and notify. */
  readonly level: number;
  readonly channel: string;
  readonly delivered: boolean;
  /** Fell due while no instance ran. */
  readonly late: boolean;
  /** Claim instant minus due time, ms (timer lateness). */
  readonly latenessMs: number;
}

/**
 * What the composition root hooks to its metrics (prom-client lives there, not here). Each
 * method is optional; none may throw into the workflow (exceptions are swallowed).
 *
 * `app/metrics.ts` exports `sluice_workflow_ticket_transitions_total{state}` from
 * {@link WorkflowObserver.ticketState}, `sluice_sla_warnings_total{kind,level,delivered}` and the histogram
 * `sluice_sla_timer_lateness_seconds` from {@link WorkflowObserver.slaFired}, and
 * `sluice_workflow_tickets{tenant,state}` collected from `Workflow.ticketCounts`. The tenant, the flow id, the
 * channel and the warning level come from tenants' input (requests, flow definitions): a hook that puts one in
 * a label passes it through the metrics' label bounds (`app/metric-labels.ts`: known tenants, a fixed set of
 * values per tenant, the rest `_other`), never as is.
 */
export interface WorkflowObserver {
  /** A ticket was created or changed state. */
  ticketState?(change: TicketStateChange): void;
  /** An SLA timer fired (delivered or not). */
  slaFired?(firing: SlaFiring): void;
  /** The timer loop hit a store error (it carries on). */
  timerError?(err: unknown): void;
}

const firing = (r: FireResult): SlaFiring => ({
  tenant: r.timer.tenant,
  flowId: r.timer.flow?.id ?? '',
  kind: r.timer.kind,
  level: r.timer.level,
  channel: r.timer.channel,
  delivered: r.delivered,
  late: r.late,
  latenessMs: r.latenessMs,
});

/**
 * Subscribes an observer to the engine's and the timer service's instrumentation events.
 *
 * @returns a function that unsubscribes everything
 */
export function observeWorkflow(engine: WorkflowEngine, timers: TimerService, observer: WorkflowObserver): () => void {
  const offs: (() => void)[] = [];
  const safe = <T>(fn: ((x: T) => void) | undefined, x: T): void => {
    try {
      fn?.(x);
    } catch {
      // A broken metrics hook must not break tickets or timers.
    }
  };
  if (observer.ticketState) {
    offs.push(
      engine.on('ticket.transition', (t) => {
        if (t.previous?.state === t.ticket.state) return;
        safe(observer.ticketState?.bind(observer), {
          tenant: t.ticket.tenant,
          flowId: t.ticket.flow.id,
          ...(t.previous && { from: t.previous.state }),
          to: t.ticket.state,
        });
      }),
    );
  }
  if (observer.slaFired) {
    const fired = (r: FireResult) => safe(observer.slaFired?.bind(observer), firing(r));
    offs.push(timers.on('fired', fired), timers.on('failed', fired));
  }
  if (observer.timerError) offs.push(timers.on('error', (e) => safe(observer.timerError?.bind(observer), e)));
  return () =>
    offs.forEach((off) => {
      off();
    });
}

/**
 * Sends every stored transition and every handled SLA timer to a history sink (which
 * queues and never blocks).
 *
 * @returns a function that unsubscribes
 */
export function recordHistory(engine: WorkflowEngine, timers: TimerService, sink: HistorySink): () => void {
  const offs = [
    engine.on('ticket.transition', (t) => sink.recordTicketEvents(ticketEventRows(t))),
    timers.on('fired', (r) => sink.recordSlaWarnings([slaWarningRow(r)])),
    timers.on('failed', (r) => sink.recordSlaWarnings([slaWarningRow(r)])),
  ];
  return () =>
    offs.forEach((off) => {
      off();
    });
}
