import type { PeopleSpec } from '../people/spec.js';
import { formatDuration } from '../sla/duration.js';
import { computeSchedule } from '../sla/schedule.js';
import type { SlaTimer } from '../sla/timer-store.js';
import { openTodos, type Ticket, type TicketEvent } from './ticket.js';

/** The team a todo's people spec stands for: `group:x`, `organisation:x`, `user:x`, or `expression`. */
export function teamOf(spec: PeopleSpec): string {
  return spec.source.kind === 'expression' ? 'expression' : `${spec.source.kind}:${spec.source.id}`;
}

/** Id of the timer of one SLA schedule entry: deterministic, so re-scheduling is idempotent. */
export function slaTimerId(ticketId: string, visit: number, kind: 'warning' | 'breach', level: number, repeat: number): string {
  return `${ticketId}/${visit}/${kind}/${level}/${repeat}`;
}

/**
 * The timers a stored ticket should have pending: every warning firing and the breach of
 * its current SLA clock (none once closed; only those due before the hold while paused),
 * plus one immediate timer per notify-node message among `events`. Pure. Ids are
 * deterministic, so re-scheduling is idempotent and a fired id never fires again.
 *
 * @param ticket the ticket as stored (its `revision` is the store's)
 * @param events the events of the transition just stored
 */
export function timersForTicket(ticket: Ticket, events: readonly TicketEvent[] = []): SlaTimer[] {
  const team = openTodos(ticket).map((t) => teamOf(t.people))[0];
  const remind = openTodos(ticket).find((t) => t.people.remind !== undefined)?.people.remind;
  const base = {
    tenant: ticket.tenant,
    ticketId: ticket.id,
    revision: ticket.revision,
    attempt: 1,
    flow: { ...ticket.flow },
    ...(team !== undefined && { team }),
  } as const;
  const label = `Ticket ${ticket.id}${ticket.title ? ` "${ticket.title}"` : ''}`;
  const out: SlaTimer[] = [];
  const clock = ticket.sla;
  if (clock && ticket.state !== 'closed') {
    const assignees = openTodos(ticket).flatMap((t) => (t.assignee ? [`user:${t.assignee}`] : []));
    const total = formatDuration(clock.policy.durationMs);
    for (const e of computeSchedule(clock)) {
      const message =
        e.kind === 'breach'
          ? `${label} breached its ${total} SLA at node "${clock.nodeId}"`
          : `${label} at node "${clock.nodeId}": SLA warning level ${e.level}${e.repeat > 0 ? ` (reminder ${e.repeat})` : ''}, ${formatDuration(e.slaMs)} of ${total} used`;
      out.push({
        ...base,
        id: slaTimerId(ticket.id, clock.visit, e.kind, e.level, e.repeat),
        dueAt: e.dueAt,
        kind: e.kind,
        level: e.level,
        repeat: e.repeat,
        nodeId: clock.nodeId,
        channel: e.channel,
        recipients: e.notify.length === 0 ? assignees : [...new Set(e.notify.flatMap((r) => (r === 'assignees' ? assignees : [r])))],
        message,
        detail: {
          ...(e.kind === 'warning' && { used: formatDuration(e.slaMs) }),
          total,
          ...(ticket.title && { title: ticket.title }),
          ...(remind && { remind: [...remind] }),
        },
      });
    }
  }
  events.forEach((e, i) => {
    if (e.type !== 'notify.requested') return;
    out.push({
      ...base,
      id: `${ticket.id}/${e.visit}/notify/${i}`,
      dueAt: e.at,
      kind: 'notify',
      level: 0,
      repeat: 0,
      nodeId: e.nodeId,
      channel: e.channel,
      recipients: [...e.recipients],
      message: `${label}: ${e.message}`,
      ...(ticket.title && { detail: { title: ticket.title } }),
    });
  });
  return out;
}
