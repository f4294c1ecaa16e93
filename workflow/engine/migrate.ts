import type { CompiledFlow } from '../definition/compile.js';
import { allows, type Actor } from '../definition/permissions.js';
import type { SluiceError } from '../../core/errors.js';
import { workflowError } from '../errors.js';
import { dueAt, reapplyPolicy, startClock } from '../sla/schedule.js';
import { Draft } from './movement.js';
import { actorId, type Ticket, type TransitionResult } from './ticket.js';
import { assertPinned } from './transition.js';

/** A migration request. */
export interface MigrationRequest {
  readonly actor: Actor;
  /** Old node id → new node id, for nodes renamed in the new version. */
  readonly nodeMap?: Readonly<Record<string, string>>;
}

function refuse(ticket: Ticket, why: string): SluiceError {
  return workflowError('SLUICE_ERR_MIGRATION_REFUSED', `ticket "${ticket.id}" cannot migrate: ${why}`);
}

/**
 * Moves a ticket that waits at a node to a newer version of its flow, explicitly (tickets
 * otherwise finish on the version they started on). Open todos stay with their assignees;
 * the node's SLA is re-applied from the new version keeping the clock's start and every
 * pause, so paused time still does not count. A paused ticket stays paused. Pure.
 *
 * @param from the version the ticket is pinned to
 * @param to a newer version of the same flow
 * @param now epoch ms
 */
export function migrateTicket(
  ticket: Ticket,
  from: CompiledFlow,
  to: CompiledFlow,
  now: number,
  request: MigrationRequest,
): TransitionResult {
  assertPinned(ticket, from);
  if (!allows(from.permissions, request.actor, 'admin') || !allows(to.permissions, request.actor, 'admin')) {
    throw workflowError('SLUICE_ERR_FORBIDDEN', `"${request.actor.id}" may not migrate tickets of flow "${from.id}": flow admins only`);
  }
  if (to.tenant !== from.tenant || to.id !== from.id) throw refuse(ticket, `"${to.id}" of tenant "${to.tenant}" is another flow`);
  if (to.version <= from.version) throw refuse(ticket, `target v${to.version} is not newer than v${from.version}`);
  if (ticket.state === 'closed') throw refuse(ticket, 'it is closed');
  const current = from.nodes.get(ticket.nodeId);
  if (current?.type.behaviour !== 'wait') throw refuse(ticket, `node "${ticket.nodeId}" is not a wait state`);
  const targetId = request.nodeMap?.[ticket.nodeId] ?? ticket.nodeId;
  const target = to.nodes.get(targetId);
  if (!target) throw refuse(ticket, `node "${targetId}" does not exist in v${to.version}; pass a node map`);
  if (target.type.type !== current.type.type) {
    throw refuse(ticket, `node "${targetId}" is a ${target.type.type} node in v${to.version}, not ${current.type.type}`);
  }

  const d = new Draft(to, ticket, now);
  d.set({
    flow: { id: to.id, version: to.version },
    nodeId: targetId,
    todos: ticket.todos.map((t) => (t.visit === ticket.visit ? { ...t, nodeId: targetId } : t)),
  });
  if (target.sla) {
    const clock = ticket.sla
      ? { ...reapplyPolicy(ticket.sla, target.sla), nodeId: targetId }
      : startClock(targetId, ticket.visit, now, target.sla);
    d.set({ sla: clock });
    const breachAt = dueAt(clock, target.sla.durationMs);
    d.emit(breachAt === undefined ? { type: 'sla.reapplied', nodeId: targetId } : { type: 'sla.reapplied', nodeId: targetId, breachAt });
  } else {
    d.set({ sla: undefined });
  }
  d.emit({ type: 'ticket.migrated', fromVersion: from.version, toVersion: to.version, fromNode: ticket.nodeId, toNode: targetId });
  return d.finish(actorId(request.actor), 'migrate', ticket.nodeId, { fromVersion: from.version, toVersion: to.version });
}
