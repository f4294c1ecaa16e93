import type { TicketTransition } from '../engine/engine.js';
import type { TicketEvent } from '../engine/ticket.js';
import { teamOf } from '../engine/timers.js';
import type { FireResult } from '../sla/timer-service.js';
import type { SlaWarningRow, TicketEventRow } from './types.js';

const nodeOf = (e: TicketEvent): string | undefined => ('nodeId' in e ? e.nodeId : undefined);

/**
 * The history rows of one stored transition: one per event, each with the flow, the node
 * it is about and who worked that node (team and assignee of its todos at that visit).
 * Pure.
 */
export function ticketEventRows(t: TicketTransition): TicketEventRow[] {
  const { ticket } = t;
  const visit = t.previous?.visit ?? ticket.visit;
  // A stored transition appends one audit entry per step (an action, then the assignment it led to), each
  // listing its events in order: the events of the transition, step after step. Its actor is who did what.
  const steps = ticket.history.slice(t.previous?.history.length ?? 0);
  const actors = steps.flatMap((s) => s.events.map(() => s.actor));
  const actorOf = (seq: number): string => (actors.length === t.events.length ? (actors[seq] ?? '') : (steps[0]?.actor ?? ''));
  return t.events.map((e, seq) => {
    const nodeId = nodeOf(e) ?? ticket.nodeId;
    const worked =
      ticket.todos.find((d) => d.nodeId === nodeId && (e.type !== 'sla.stopped' || d.visit === visit)) ??
      ticket.todos.find((d) => d.nodeId === nodeId);
    return {
      tenant: ticket.tenant,
      ticketId: ticket.id,
      flowId: ticket.flow.id,
      flowVersion: ticket.flow.version,
      nodeId,
      team: worked ? teamOf(worked.people) : '',
      assignee: worked?.decidedBy ?? worked?.assignee ?? '',
      event: e.type,
      actor: actorOf(seq),
      breached: e.type === 'sla.stopped' && e.breached,
      elapsedMs: e.type === 'sla.stopped' ? e.elapsedMs : 0,
      revision: ticket.revision,
      seq,
      ts: e.at,
    };
  });
}

/** The history row of one fired (or failed) SLA timer. Pure. */
export function slaWarningRow(r: FireResult): SlaWarningRow {
  const t = r.timer;
  return {
    tenant: t.tenant,
    ticketId: t.ticketId,
    flowId: t.flow?.id ?? '',
    flowVersion: t.flow?.version ?? 0,
    nodeId: t.nodeId,
    team: t.team ?? '',
    timerId: t.id,
    kind: t.kind,
    level: t.level,
    repeat: t.repeat,
    channel: t.channel,
    delivered: r.delivered,
    late: r.late,
    latenessMs: r.latenessMs,
    dueAt: t.dueAt,
    ts: r.firedAt,
  };
}
