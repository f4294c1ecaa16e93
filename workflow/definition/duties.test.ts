import { describe, expect, it } from 'vitest';
import { createTicket } from '../engine/create.js';
import type { Ticket } from '../engine/ticket.js';
import { applyAction } from '../engine/transition.js';
import { isSluiceError } from '../../core/errors.js';
import { compileFlow, type CompiledFlow } from './compile.js';
import { issuesOf } from './issues.js';
import type { Actor } from './permissions.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');

/** start → first (approval) → second (approval, two approvers) → note (notify) → end. */
function ladder(separationOfDuties?: unknown): Record<string, unknown> {
  return {
    id: 'ladder',
    version: 1,
    tenant: 'acme',
    name: 'Ladder',
    permissions: { admin: ['group:supervisors'] },
    ...(separationOfDuties !== undefined && { separationOfDuties }),
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'first', type: 'approval', assignees: { group: 'agents' } },
      { id: 'second', type: 'approval', required: 2, assignees: { group: 'managers' } },
      { id: 'note', type: 'notify', channel: 'message', notify: ['user:ann'], message: 'decided' },
      { id: 'end', type: 'end' },
    ],
    controls: [
      { from: 'start', to: 'first' },
      { from: 'first', on: 'approved', to: 'second' },
      { from: 'first', on: 'rejected', to: 'note' },
      { from: 'second', on: 'approved', to: 'note' },
      { from: 'second', on: 'rejected', to: 'note' },
      { from: 'note', to: 'end' },
    ],
  };
}

function refused(doc: unknown): { path: string; message: string }[] {
  try {
    compileFlow(doc);
  } catch (err) {
    expect(isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')).toBe(true);
    return issuesOf(err);
  }
  throw new Error('definition was accepted');
}

const sue: Actor = { id: 'sue', groups: ['supervisors'] };
const adminKey: Actor = { id: 'key:ops', kind: 'system' };

/** A ticket at `first`, its todos assigned the way the engine would. */
function opened(flow: CompiledFlow): Ticket {
  const { ticket } = createTicket(flow, { tenant: 'acme', id: 't-1', origin: { kind: 'api' }, actor: sue }, T0);
  return assign(ticket, ['ann']);
}

function assign(ticket: Ticket, people: string[]): Ticket {
  let i = 0;
  return {
    ...ticket,
    todos: ticket.todos.map((t) => (t.status === 'open' && !t.assignee ? { ...t, assignee: people[i++] as string } : t)),
  };
}

function refusal(run: () => unknown): { code: string; status: number; message: string; details: unknown } {
  try {
    run();
  } catch (err) {
    return err as { code: string; status: number; message: string; details: unknown };
  }
  throw new Error('the action was accepted');
}

describe('separationOfDuties in a flow definition', () => {
  it('compiles rules naming decision nodes', () => {
    const flow = compileFlow(ladder([{ name: 'two-people', nodes: ['first', 'second'], description: 'four eyes' }]));
    expect(flow.duties).toEqual([{ name: 'two-people', nodes: new Set(['first', 'second']) }]);
    expect(compileFlow(ladder()).duties).toEqual([]);
  });

  it('refuses unknown, repeated and non-decision nodes, duplicate names and malformed rules, each at its path', () => {
    const issues = refused(
      ladder([
        { name: 'a', nodes: ['first', 'nowhere'] },
        { name: 'a', nodes: ['first', 'first', 'note', 'start'] },
        { name: 'b', nodes: ['first'] },
        { name: 'c', nodes: ['first', 'second'], who: 'everyone' },
      ]),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'separationOfDuties[2].nodes', message: 'must NOT have fewer than 2 items' },
        { path: 'separationOfDuties[3]', message: 'unknown property "who"' },
      ]),
    );
    const semantic = refused(
      ladder([
        { name: 'a', nodes: ['first', 'nowhere'] },
        { name: 'a', nodes: ['first', 'first', 'note', 'start'] },
      ]),
    );
    expect(semantic).toEqual([
      { path: 'separationOfDuties[0].nodes[1]', message: 'no node "nowhere" in this flow' },
      { path: 'separationOfDuties[1].name', message: '"a" names another rule too; rule names must be unique' },
      { path: 'separationOfDuties[1].nodes[1]', message: 'node "first" is listed twice' },
      { path: 'separationOfDuties[1].nodes[2]', message: 'node "note" takes no decisions (only approval and task nodes do)' },
      { path: 'separationOfDuties[1].nodes[3]', message: 'node "start" takes no decisions (only approval and task nodes do)' },
    ]);
  });
});

describe('separation of duties in the engine', () => {
  const flow = compileFlow(ladder([{ name: 'two-people', nodes: ['first', 'second'] }]));

  it('refuses the second level to whoever decided the first, a flow admin or an admin key included, and lets others decide', () => {
    for (const actor of [sue, adminKey]) {
      const atSecond = assign(applyAction(opened(flow), { type: 'approve', actor }, T0, flow).ticket, ['max', 'mia']);
      expect(atSecond.nodeId).toBe('second');
      const todoId = atSecond.todos.find((t) => t.nodeId === 'second')?.id as string;
      const err = refusal(() => applyAction(atSecond, { type: 'approve', actor, todoId }, T0, flow));
      expect(err).toMatchObject({
        code: 'SLUICE_ERR_SEPARATION_OF_DUTIES',
        status: 403,
        details: { rule: 'two-people', decided: 'first' },
      });
      expect(err.message).toContain('separation of duties "two-people"');
      expect(refusal(() => applyAction(atSecond, { type: 'reject', actor, todoId }, T0, flow))).toMatchObject({
        code: 'SLUICE_ERR_SEPARATION_OF_DUTIES',
      });
      const one = applyAction(atSecond, { type: 'approve', actor: { id: 'max' } }, T0, flow).ticket;
      const done = applyAction(one, { type: 'approve', actor: { id: 'mia' } }, T0, flow).ticket;
      expect(done).toMatchObject({ state: 'closed', nodeId: 'end' });
    }
  });

  it('takes the required approvals of one node from different people, with or without a rule', () => {
    for (const f of [flow, compileFlow(ladder())]) {
      const atSecond = assign(applyAction(opened(f), { type: 'approve', actor: { id: 'ann' } }, T0, f).ticket, ['max', 'mia']);
      const [a, b] = atSecond.todos.filter((t) => t.nodeId === 'second').map((t) => t.id) as [string, string];
      const once = applyAction(atSecond, { type: 'approve', actor: sue, todoId: a }, T0, f).ticket;
      expect(refusal(() => applyAction(once, { type: 'approve', actor: sue, todoId: b }, T0, f))).toMatchObject({
        code: 'SLUICE_ERR_SEPARATION_OF_DUTIES',
        details: { rule: 'second.required' },
      });
      expect(applyAction(once, { type: 'approve', actor: { id: 'mia' } }, T0, f).ticket.state).toBe('closed');
    }
  });

  it('lets one person decide both levels when the flow has no rule', () => {
    const free = compileFlow(ladder());
    const atSecond = assign(applyAction(opened(free), { type: 'approve', actor: sue }, T0, free).ticket, ['max', 'mia']);
    expect(
      applyAction(
        atSecond,
        { type: 'approve', actor: sue, todoId: atSecond.todos.find((t) => t.nodeId === 'second')?.id as string },
        T0,
        free,
      ).ticket.nodeId,
    ).toBe('second');
  });
});
