import { describe, expect, it } from 'vitest';
import type { Actor } from '../definition/permissions.js';
import { isSluiceError } from '../../core/errors.js';
import { computeSchedule } from '../sla/schedule.js';
import type { Action } from './actions.js';
import { createTicket } from './create.js';
import { assignAll, playground } from '../testing/flows.js';
import type { Ticket } from './ticket.js';
import { timersForTicket } from './timers.js';
import { applyAction } from './transition.js';

const T0 = 1_000_000;
const MIN = 60_000;
const flow = playground();
const ann: Actor = { id: 'ann' };
const bob: Actor = { id: 'bob' };
const rae: Actor = { id: 'rae' };
const ray: Actor = { id: 'ray' };
const sue: Actor = { id: 'sue', roles: ['supervisor'] };

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Applies actions in order, filling assignees (reviewers rae, ray) after each step like the engine does. */
function run(ticket: Ticket, ...steps: [Action, number][]): Ticket {
  let t = ticket;
  for (const [action, at] of steps)
    t = assignAll(applyAction(deepFreeze(t), action, at, flow).ticket, (_title, i) => (i === 0 ? 'rae' : 'ray'));
  return t;
}

function opened(fields: Record<string, unknown> = {}): Ticket {
  const { ticket } = createTicket(flow, { tenant: 'acme', id: 't-1', fields, origin: { kind: 'api' }, actor: ann }, T0);
  return assignAll(ticket, (title) => (title === 'Collect documents' ? 'ann' : 'bob'));
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isSluiceError(err)) return err.code;
    throw err;
  }
  return undefined;
}

describe('createTicket', () => {
  it('runs from start to the first waiting node, splitting work into todos', () => {
    const { ticket, events } = createTicket(
      flow,
      { tenant: 'acme', id: 't-1', origin: { kind: 'api' }, actor: ann, fields: { amount: 5 } },
      T0,
    );
    expect(ticket).toMatchObject({ state: 'active', nodeId: 'intake', visit: 2, revision: 0, flow: { id: 'playground', version: 1 } });
    expect(ticket.todos.map((t) => [t.id, t.title, t.kind, t.status])).toEqual([
      ['v2-1', 'Collect documents', 'task', 'open'],
      ['v2-2', 'Check account', 'task', 'open'],
    ]);
    expect(events.map((e) => e.type)).toEqual([
      'ticket.created',
      'node.entered',
      'node.left',
      'node.entered',
      'todo.opened',
      'todo.opened',
    ]);
    expect(ticket.history).toEqual([
      {
        seq: 1,
        at: T0,
        actor: 'ann',
        action: 'create',
        node: 'start',
        toNode: 'intake',
        revision: 1,
        events: events.map((e) => e.type),
        detail: { origin: 'api' },
      },
    ]);
  });

  it('refuses a flow of another tenant', () => {
    expect(code(() => createTicket(flow, { tenant: 'globex', id: 'x', origin: { kind: 'api' }, actor: ann }, T0))).toBe(
      'SLUICE_ERR_FLOW_NOT_FOUND',
    );
  });
});

describe('applyAction', () => {
  it('is pure: the input is untouched and the same input gives the same output', () => {
    const t = deepFreeze(opened());
    const a = applyAction(t, { type: 'complete', actor: ann }, T0 + MIN, flow);
    const b = applyAction(t, { type: 'complete', actor: ann }, T0 + MIN, flow);
    expect(a).toEqual(b);
    expect(t.todos[0]?.status).toBe('open');
  });

  it('waits for every task todo, merging the fields they produce, then moves on with an SLA', () => {
    const half = run(opened(), [{ type: 'complete', actor: ann, fields: { documents: 3 } }, T0 + MIN]);
    expect(half.nodeId).toBe('intake');
    expect(half.fields).toEqual({ documents: 3 });
    const { ticket, events } = applyAction(half, { type: 'complete', actor: bob, comment: 'account fine' }, T0 + 2 * MIN, flow);
    expect(ticket.nodeId).toBe('review');
    expect(ticket.sla).toMatchObject({ nodeId: 'review', startedAt: T0 + 2 * MIN, pauses: [] });
    expect(events).toContainEqual({
      type: 'sla.started',
      at: T0 + 2 * MIN,
      nodeId: 'review',
      visit: ticket.visit,
      breachAt: T0 + 62 * MIN,
    });
    expect(ticket.comments).toEqual([{ id: 'c1', at: T0 + 2 * MIN, author: 'bob', text: 'account fine' }]);
    expect(ticket.history[ticket.history.length - 1]).toMatchObject({
      actor: 'bob',
      action: 'complete',
      node: 'intake',
      toNode: 'review',
      detail: { todoId: 'v2-2' },
    });
  });

  it('needs two approvals; a notify node sends and moves on to the end, stopping the SLA', () => {
    const atReview = run(opened(), [{ type: 'complete', actor: ann }, T0], [{ type: 'complete', actor: bob }, T0]);
    const once = run(atReview, [{ type: 'approve', actor: rae }, T0 + 5 * MIN]);
    expect(once.nodeId).toBe('review');
    const { ticket, events } = applyAction(once, { type: 'approve', actor: ray }, T0 + 10 * MIN, flow);
    expect(ticket).toMatchObject({ state: 'closed', outcome: 'next', nodeId: 'end', closedAt: T0 + 10 * MIN });
    expect(ticket.sla).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual([
      'todo.closed',
      'sla.stopped',
      'node.left',
      'node.entered',
      'notify.requested',
      'node.left',
      'node.entered',
      'ticket.closed',
    ]);
    const timers = timersForTicket({ ...ticket, revision: 7 }, events);
    expect(timers).toEqual([
      expect.objectContaining({ kind: 'notify', channel: 'sms', recipients: ['customer'], dueAt: T0 + 10 * MIN, revision: 7 }),
    ]);
  });

  it('takes the conditional control when its condition holds', () => {
    const atReview = run(opened({ vip: true }), [{ type: 'complete', actor: ann }, T0], [{ type: 'complete', actor: bob }, T0]);
    const t = run(atReview, [{ type: 'approve', actor: rae }, T0], [{ type: 'approve', actor: ray }, T0]);
    expect(t.nodeId).toBe('audit');
  });

  it('leaves with rejected at the first rejection, cancelling the other approval', () => {
    const atReview = run(opened(), [{ type: 'complete', actor: ann }, T0], [{ type: 'complete', actor: bob }, T0]);
    const { ticket, events } = applyAction(atReview, { type: 'reject', actor: ray }, T0 + MIN, flow);
    expect(ticket.state).toBe('closed');
    expect(events.filter((e) => e.type === 'todo.cancelled')).toHaveLength(1);
    expect(
      ticket.todos
        .filter((t) => t.nodeId === 'review')
        .map((t) => t.status)
        .sort(),
    ).toEqual(['cancelled', 'done']);
  });

  it('fails with the expression error and changes nothing when a condition cannot be evaluated', () => {
    const atReview = run(opened({ vip: 'yes' }), [{ type: 'complete', actor: ann }, T0], [{ type: 'complete', actor: bob }, T0]);
    const withRae = run(atReview, [{ type: 'approve', actor: rae }, T0]);
    expect(() => applyAction(withRae, { type: 'approve', actor: ray }, T0, flow)).toThrow(
      "control review → audit (controls[2]): `has(fields.vip) && fields.vip` failed: Logical operator requires bool operands, got 'string'",
    );
    expect(withRae.nodeId).toBe('review');
  });

  it('refuses actions by people who hold no todo, but lets a flow admin act on any', () => {
    const t = opened();
    expect(code(() => applyAction(t, { type: 'complete', actor: bob, todoId: 'v2-1' }, T0, flow))).toBe('SLUICE_ERR_FORBIDDEN');
    expect(code(() => applyAction(t, { type: 'complete', actor: { id: 'eve' } }, T0, flow))).toBe('SLUICE_ERR_ASSIGNMENT_NOT_FOUND');
    expect(code(() => applyAction(t, { type: 'complete', actor: ann, todoId: 'v9-9' }, T0, flow))).toBe('SLUICE_ERR_ASSIGNMENT_NOT_FOUND');
    expect(applyAction(t, { type: 'complete', actor: sue, todoId: 'v2-2' }, T0, flow).ticket.todos[1]).toMatchObject({
      status: 'done',
      decidedBy: 'sue',
    });
  });

  it('refuses an action the node does not take', () => {
    expect(code(() => applyAction(opened(), { type: 'approve', actor: ann }, T0, flow))).toBe('SLUICE_ERR_ACTION_INVALID');
  });

  it('reassigns by the assignee or an admin only', () => {
    const t = opened();
    const moved = applyAction(t, { type: 'reassign', actor: ann, todoId: 'v2-1', to: 'cid' }, T0, flow);
    expect(moved.ticket.todos[0]?.assignee).toBe('cid');
    expect(moved.events).toEqual([{ type: 'todo.assigned', at: T0, todoId: 'v2-1', assignee: 'cid', previous: 'ann' }]);
    expect(code(() => applyAction(t, { type: 'reassign', actor: bob, todoId: 'v2-1', to: 'bob' }, T0, flow))).toBe('SLUICE_ERR_FORBIDDEN');
  });

  it('pauses only on statuses the SLA pauses on, blocks decisions while paused, and keeps the paused time', () => {
    const atReview = run(opened(), [{ type: 'complete', actor: ann }, T0], [{ type: 'complete', actor: bob }, T0]);
    expect(code(() => applyAction(atReview, { type: 'pause', actor: rae, status: 'lunch' }, T0, flow))).toBe(
      'SLUICE_ERR_PAUSE_NOT_ALLOWED',
    );
    expect(code(() => applyAction(atReview, { type: 'pause', actor: { id: 'eve' }, status: 'waiting_for_customer' }, T0, flow))).toBe(
      'SLUICE_ERR_FORBIDDEN',
    );
    const paused = run(atReview, [{ type: 'pause', actor: rae, status: 'waiting_for_customer' }, T0 + 10 * MIN]);
    expect(paused).toMatchObject({ state: 'paused', hold: { status: 'waiting_for_customer', since: T0 + 10 * MIN } });
    expect(code(() => applyAction(paused, { type: 'approve', actor: rae }, T0 + 11 * MIN, flow))).toBe('SLUICE_ERR_ACTION_INVALID');
    expect(code(() => applyAction(paused, { type: 'pause', actor: rae, status: 'waiting_for_customer' }, T0, flow))).toBe(
      'SLUICE_ERR_ACTION_INVALID',
    );
    expect(applyAction(paused, { type: 'comment', actor: rae, text: 'called customer' }, T0 + 12 * MIN, flow).ticket.comments).toHaveLength(
      1,
    );
    const { ticket, events } = applyAction(paused, { type: 'resume', actor: rae }, T0 + 40 * MIN, flow);
    expect(ticket.state).toBe('active');
    expect(ticket.hold).toBeUndefined();
    expect(events).toEqual([{ type: 'ticket.resumed', at: T0 + 40 * MIN, pausedMs: 30 * MIN }]);
    expect(computeSchedule(ticket.sla!).map((e) => (e.dueAt - T0) / MIN)).toEqual([60, 90]);
    expect(code(() => applyAction(ticket, { type: 'resume', actor: rae }, T0, flow))).toBe('SLUICE_ERR_ACTION_INVALID');
  });

  it('refuses every action on a closed ticket and a flow version it is not pinned to', () => {
    const atReview = run(opened(), [{ type: 'complete', actor: ann }, T0], [{ type: 'complete', actor: bob }, T0]);
    const closed = run(atReview, [{ type: 'reject', actor: rae }, T0]);
    expect(code(() => applyAction(closed, { type: 'comment', actor: sue, text: 'x' }, T0, flow))).toBe('SLUICE_ERR_TICKET_CLOSED');
    expect(code(() => applyAction(opened(), { type: 'comment', actor: ann, text: 'x' }, T0, playground(2)))).toBe(
      'SLUICE_ERR_ACTION_INVALID',
    );
    expect(code(() => applyAction(opened(), { type: 'comment', actor: ann, text: '  ' }, T0, flow))).toBe('SLUICE_ERR_ACTION_INVALID');
  });
});
