import type { CompiledFlow } from '../definition/compile.js';
import { dutyConflict } from '../definition/duties.js';
import { allows, type Actor } from '../definition/permissions.js';
import { workflowError } from '../errors.js';
import { isPaused, pauseClock, resumeClock } from '../sla/schedule.js';
import type { Action } from './actions.js';
import { Draft } from './movement.js';
import { actorId, openTodos, type Ticket, type Todo, type TransitionResult } from './ticket.js';

/** Checks that `flow` is the version the ticket is pinned to. */
export function assertPinned(ticket: Ticket, flow: CompiledFlow): void {
  if (flow.tenant !== ticket.tenant || flow.id !== ticket.flow.id || flow.version !== ticket.flow.version) {
    throw workflowError(
      'SLUICE_ERR_ACTION_INVALID',
      `ticket "${ticket.id}" is pinned to flow "${ticket.flow.id}" v${ticket.flow.version} of tenant "${ticket.tenant}", not "${flow.id}" v${flow.version} of "${flow.tenant}"`,
    );
  }
}

function pickTodo(ticket: Ticket, actor: Actor, todoId: string | undefined, admin: boolean): Todo {
  const open = openTodos(ticket);
  if (todoId !== undefined) {
    const todo = open.find((t) => t.id === todoId);
    if (!todo)
      throw workflowError(
        'SLUICE_ERR_ASSIGNMENT_NOT_FOUND',
        `ticket "${ticket.id}" has no open todo "${todoId}" at node "${ticket.nodeId}"`,
      );
    return todo;
  }
  const mine = open.filter((t) => t.assignee === actor.id);
  const candidates = mine.length > 0 || !admin ? mine : open;
  if (candidates.length !== 1) {
    throw workflowError(
      'SLUICE_ERR_ASSIGNMENT_NOT_FOUND',
      `${candidates.length === 0 ? 'no' : 'more than one'} open todo for "${actor.id}" on ticket "${ticket.id}" at node "${ticket.nodeId}"; give todoId`,
    );
  }
  return candidates[0] as Todo;
}

/**
 * Refuses a decision that would make one person decide twice where the flow wants two: a node of
 * a separation-of-duties rule after another node of that rule, or a second approval of one
 * approval node visit (its `required` approvals come from different people).
 */
function refuseSameDecider(ticket: Ticket, flow: CompiledFlow, todo: Todo, who: string): void {
  const conflict = dutyConflict(flow.duties, todo.nodeId, who, ticket.todos);
  if (conflict) {
    throw workflowError(
      'SLUICE_ERR_SEPARATION_OF_DUTIES',
      `separation of duties "${conflict.rule}": "${who}" already decided node "${conflict.decided}" of ticket "${ticket.id}"; someone else must decide node "${todo.nodeId}"`,
      { details: { rule: conflict.rule, decided: conflict.decided } },
    );
  }
  if (
    todo.kind === 'approval' &&
    ticket.todos.some((t) => t.id !== todo.id && t.nodeId === todo.nodeId && t.visit === todo.visit && t.decidedBy === who)
  ) {
    throw workflowError(
      'SLUICE_ERR_SEPARATION_OF_DUTIES',
      `approvals of node "${todo.nodeId}" come from different people: "${who}" already decided one on ticket "${ticket.id}"`,
      { details: { rule: `${todo.nodeId}.required`, decided: todo.nodeId } },
    );
  }
}

function refusePaused(ticket: Ticket, what: string): void {
  if (ticket.state === 'paused') {
    throw workflowError(
      'SLUICE_ERR_ACTION_INVALID',
      `cannot ${what} ticket "${ticket.id}": it is paused (${ticket.hold?.status ?? 'on hold'}); resume it first`,
    );
  }
}

/**
 * Applies one action to a ticket: a pure function of (ticket, action, now) and the flow
 * version the ticket is pinned to. Returns the new ticket (one audit entry appended) and
 * the events; throws a `SluiceError` and changes nothing when the action does not apply.
 * The revision is left alone: the store bumps it on `update(ticket, expectedRevision)`.
 *
 * @param now epoch ms
 */
export function applyAction(ticket: Ticket, action: Action, now: number, flow: CompiledFlow): TransitionResult {
  assertPinned(ticket, flow);
  if (ticket.state === 'closed')
    throw workflowError(
      'SLUICE_ERR_TICKET_CLOSED',
      `ticket "${ticket.id}" is closed (${ticket.outcome ?? 'done'}); no more ${action.type}`,
    );
  const d = new Draft(flow, ticket, now);
  const node = d.node();
  const admin = allows(flow.permissions, action.actor, 'admin');
  const who = actorId(action.actor);
  const holdsTodo = openTodos(ticket).some((t) => t.assignee === action.actor.id);
  const comment = (text: string | undefined): void => {
    if (text === undefined || text === '') return;
    const id = `c${d.ticket.comments.length + 1}`;
    d.set({ comments: [...d.ticket.comments, { id, at: now, author: who, text }] });
    d.emit({ type: 'ticket.commented', commentId: id, by: who });
  };

  switch (action.type) {
    case 'approve':
    case 'reject':
    case 'complete': {
      refusePaused(ticket, action.type);
      const todo = pickTodo(ticket, action.actor, action.todoId, admin);
      if (!node.type.todoActions.includes(action.type)) {
        throw workflowError(
          'SLUICE_ERR_ACTION_INVALID',
          `node "${node.id}" (${node.type.type}) takes ${node.type.todoActions.join('/') || 'no todo actions'}, not ${action.type}`,
        );
      }
      if (todo.assignee !== action.actor.id && !admin) {
        throw workflowError(
          'SLUICE_ERR_FORBIDDEN',
          `"${action.actor.id}" may not ${action.type} todo "${todo.id}" assigned to ${todo.assignee ? `"${todo.assignee}"` : 'nobody'}`,
        );
      }
      refuseSameDecider(ticket, flow, todo, who);
      const decision = action.type === 'approve' ? 'approved' : action.type === 'reject' ? 'rejected' : 'completed';
      d.updateTodo(todo.id, { status: 'done', decision, decidedBy: who, closedAt: now });
      d.emit({ type: 'todo.closed', todoId: todo.id, decision, by: who });
      if (action.type === 'complete' && action.fields && Object.keys(action.fields).length > 0) {
        d.set({ fields: { ...d.ticket.fields, ...structuredClone(action.fields) } });
        d.emit({ type: 'fields.updated', keys: Object.keys(action.fields) });
      }
      comment(action.comment);
      const outcome = node.type.decide?.(
        node.config,
        d.ticket.todos.filter((t) => t.visit === d.ticket.visit),
      );
      if (outcome !== undefined) d.leave(outcome);
      return d.finish(who, action.type, node.id, { todoId: todo.id });
    }
    case 'comment': {
      if (!allows(flow.permissions, action.actor, 'view') && !holdsTodo) {
        throw workflowError('SLUICE_ERR_FORBIDDEN', `"${action.actor.id}" may not comment on ticket "${ticket.id}"`);
      }
      if (action.text.trim() === '') throw workflowError('SLUICE_ERR_ACTION_INVALID', 'comment text is empty');
      comment(action.text);
      return d.finish(who, 'comment', node.id);
    }
    case 'reassign': {
      const todo = pickTodo(ticket, action.actor, action.todoId, true);
      if (todo.assignee !== action.actor.id && !admin) {
        throw workflowError(
          'SLUICE_ERR_FORBIDDEN',
          `"${action.actor.id}" may not reassign todo "${todo.id}": only its assignee or a flow admin can`,
        );
      }
      if (action.to === '') throw workflowError('SLUICE_ERR_ACTION_INVALID', 'reassign needs a user id in "to"');
      d.updateTodo(todo.id, { assignee: action.to });
      d.emit(
        todo.assignee
          ? { type: 'todo.assigned', todoId: todo.id, assignee: action.to, previous: todo.assignee }
          : { type: 'todo.assigned', todoId: todo.id, assignee: action.to },
      );
      return d.finish(who, 'reassign', node.id, { todoId: todo.id, to: action.to });
    }
    case 'pause': {
      if (!holdsTodo && !admin)
        throw workflowError(
          'SLUICE_ERR_FORBIDDEN',
          `"${action.actor.id}" may not pause ticket "${ticket.id}": only an assignee or a flow admin can`,
        );
      refusePaused(ticket, 'pause');
      if (node.type.behaviour !== 'wait')
        throw workflowError('SLUICE_ERR_ACTION_INVALID', `ticket "${ticket.id}" is not waiting at a node that can pause`);
      const clock = d.ticket.sla;
      if (clock && !clock.policy.pauseOn.includes(action.status)) {
        throw workflowError(
          'SLUICE_ERR_PAUSE_NOT_ALLOWED',
          `SLA of node "${node.id}" does not pause on "${action.status}" (pauses on: ${clock.policy.pauseOn.join(', ') || 'nothing'})`,
        );
      }
      d.set({ state: 'paused', hold: { status: action.status, since: now }, ...(clock && { sla: pauseClock(clock, now, action.status) }) });
      d.emit({ type: 'ticket.paused', status: action.status });
      return d.finish(who, 'pause', node.id, { status: action.status });
    }
    case 'resume': {
      if (!holdsTodo && !admin)
        throw workflowError(
          'SLUICE_ERR_FORBIDDEN',
          `"${action.actor.id}" may not resume ticket "${ticket.id}": only an assignee or a flow admin can`,
        );
      if (ticket.state !== 'paused') throw workflowError('SLUICE_ERR_ACTION_INVALID', `ticket "${ticket.id}" is not paused`);
      const clock = d.ticket.sla;
      d.set({ state: 'active', hold: undefined, ...(clock && isPaused(clock) && { sla: resumeClock(clock, now) }) });
      d.emit({ type: 'ticket.resumed', pausedMs: now - (ticket.hold?.since ?? now) });
      return d.finish(who, 'resume', node.id);
    }
  }
}
