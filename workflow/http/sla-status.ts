import { slaTimerId } from '../engine/timers.js';
import type { Ticket } from '../engine/ticket.js';
import { computeSchedule, dueAt, isPaused, slaElapsed } from '../sla/schedule.js';
import type { TimerStore } from '../sla/timer-store.js';

/** One due instant of the current SLA clock and whether it fired. */
export interface SlaStatusEntry {
  readonly kind: 'warning' | 'breach';
  readonly level: number;
  readonly repeat: number;
  readonly channel: string;
  /** Epoch ms. */
  readonly dueAt: number;
  /** Epoch ms the timer service handled it, when it has. */
  readonly firedAt?: number;
}

/** The SLA picture of a ticket's current node. */
export interface SlaStatus {
  readonly ticketId: string;
  readonly state: Ticket['state'];
  readonly nodeId: string;
  /** Null when the current node has no SLA (or the ticket is closed). */
  readonly sla: {
    readonly nodeId: string;
    readonly visit: number;
    /** Epoch ms the clock started (node entry). */
    readonly startedAt: number;
    readonly durationMs: number;
    /** SLA time used so far (working, unpaused), ms. */
    readonly elapsedMs: number;
    /** Wall time spent paused so far, ms. */
    readonly pausedMs: number;
    readonly paused: boolean;
    /** Epoch ms of the breach; absent while a pause holds it. */
    readonly breachAt?: number;
    readonly breached: boolean;
    /** Whether the clock runs on a business calendar. */
    readonly businessHours: boolean;
    readonly pauseOn: readonly string[];
    /** Warnings and breach, in due order (entries held by an open pause are left out). */
    readonly schedule: readonly SlaStatusEntry[];
    /** The entries that fired, in due order. */
    readonly warningsFired: readonly SlaStatusEntry[];
  } | null;
}

/**
 * The SLA status of a ticket at `now`: due times of its warnings and breach, time used
 * and paused, and which warnings fired (from the timer store's fired marks).
 *
 * @param now epoch ms
 */
export async function slaStatus(ticket: Ticket, timers: TimerStore, now: number): Promise<SlaStatus> {
  const base = { ticketId: ticket.id, state: ticket.state, nodeId: ticket.nodeId };
  const clock = ticket.sla;
  if (!clock || ticket.state === 'closed') return { ...base, sla: null };
  const entries = computeSchedule(clock);
  const fired = await timers.firedAt(
    ticket.tenant,
    entries.map((e) => slaTimerId(ticket.id, clock.visit, e.kind, e.level, e.repeat)),
  );
  const schedule: SlaStatusEntry[] = entries.map((e, i) => {
    const at = fired[i];
    return { kind: e.kind, level: e.level, repeat: e.repeat, channel: e.channel, dueAt: e.dueAt, ...(at !== undefined && { firedAt: at }) };
  });
  const end = clock.stoppedAt ?? now;
  const pausedMs = clock.pauses.reduce((sum, p) => sum + Math.max(0, Math.min(p.to ?? end, end) - p.from), 0);
  const elapsedMs = slaElapsed(clock, now);
  const breachAt = dueAt(clock, clock.policy.durationMs);
  return {
    ...base,
    sla: {
      nodeId: clock.nodeId,
      visit: clock.visit,
      startedAt: clock.startedAt,
      durationMs: clock.policy.durationMs,
      elapsedMs,
      pausedMs,
      paused: isPaused(clock),
      ...(breachAt !== undefined && { breachAt }),
      breached: elapsedMs >= clock.policy.durationMs,
      businessHours: clock.policy.calendar !== undefined,
      pauseOn: clock.policy.pauseOn,
      schedule,
      warningsFired: schedule.filter((e) => e.firedAt !== undefined),
    },
  };
}
