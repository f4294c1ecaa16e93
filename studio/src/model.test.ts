import { describe, expect, it } from 'vitest';
import {
  addControl,
  addNode,
  assigneeSource,
  assigneeSummary,
  controlKeys,
  diffFlows,
  durationMs,
  emptyFlow,
  fieldsOf,
  type FlowDoc,
  listCompletions,
  managerOptions,
  moveControl,
  newNode,
  placeIssues,
  refOptions,
  type Suggestions,
  removeNode,
  updateNode,
  withSource,
} from './model';

const ladder = (): FlowDoc => ({
  id: 'f',
  version: 1,
  name: 'F',
  nodes: [
    { id: 'start', type: 'start' },
    { id: 'level1', type: 'approval', assignees: { group: 'a' }, sla: { duration: '4h' } },
    { id: 'end', type: 'end' },
  ],
  controls: [
    { from: 'start', to: 'level1' },
    { from: 'level1', on: 'approved', to: 'end', when: 'fields.amount < 500' },
    { from: 'level1', on: 'approved', to: 'end' },
    { from: 'level1', on: 'rejected', to: 'end' },
  ],
});

describe('studio model', () => {
  it('edits a flow: new nodes get fresh ids, a rename follows every control, a removal takes its controls', () => {
    let d = emptyFlow('f', 'F');
    d = addNode(d, newNode(d, 'start'));
    d = addNode(d, newNode(d, 'approval'));
    d = addNode(d, newNode(d, 'approval'));
    expect(d.nodes.map((n) => n.id)).toEqual(['start', 'approval', 'approval-2']);
    d = addControl(d, { from: 'start', to: 'approval' });
    d = updateNode(d, 'approval', { ...(d.nodes[1] as FlowDoc['nodes'][number]), id: 'level1' });
    expect(d.controls).toEqual([{ from: 'start', to: 'level1' }]);
    expect(removeNode(d, 'level1').controls).toEqual([]);
    expect(moveControl(ladder(), 2, -1).controls[1]).toEqual({ from: 'level1', on: 'approved', to: 'end' });
  });

  it('puts each server issue on its node, its control, or the flow', () => {
    const placed = placeIssues(ladder(), [
      { path: 'controls[1].when', message: 'bad expression' },
      { path: 'nodes[1].sla.calendar', message: 'unknown calendar' },
      { path: 'nodes', message: 'node "end" is unreachable from start' },
      { path: 'version', message: 'flow "f" is at v3' },
    ]);
    expect([...placed.controls.keys()]).toEqual([1]);
    expect([...placed.nodes.keys()]).toEqual(['level1', 'end']);
    expect(placed.flow.map((i) => i.path)).toEqual(['version']);
  });

  it('diffs two versions: nodes by id, controls by from→to on and rank, and nothing else marked', () => {
    const before = ladder();
    const after = ladder();
    after.nodes[1] = { ...(after.nodes[1] as FlowDoc['nodes'][number]), sla: { duration: '2h' } };
    after.nodes.push({ id: 'note', type: 'notify', channel: 'sms', notify: ['assignees'], message: 'm' });
    after.controls[1] = { ...(after.controls[1] as FlowDoc['controls'][number]), when: 'fields.amount < 1000' };
    after.controls.splice(3, 1);
    const d = diffFlows(before, after);
    expect(Object.fromEntries(d.nodes)).toEqual({ start: 'same', level1: 'changed', end: 'same', note: 'added' });
    expect(Object.fromEntries(d.controls)).toEqual({
      'start→level1': 'same',
      'level1→end on approved': 'changed',
      'level1→end on approved (2)': 'same',
      'level1→end on rejected': 'removed',
    });
    expect(d.flow).toEqual([]);
    expect(controlKeys(before)).toHaveLength(4);
  });

  it('reads durations and the fields a flow uses', () => {
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('x')).toBeUndefined();
    expect(fieldsOf(ladder())).toEqual(['fields.amount']);
  });

  it('switches an assignee source keeping the rest, and says who a spec stands for', () => {
    const spec = { group: 'billing-agents', strategy: 'least-loaded', capacity: 15 };
    expect(assigneeSource(spec)).toBe('group');
    const manager = withSource(spec, 'manager', 'decider:level1');
    expect(manager).toEqual({ manager: 'decider:level1', strategy: 'least-loaded', capacity: 15 });
    expect(assigneeSource(manager)).toBe('manager');
    expect(assigneeSummary({ ...manager, fallback: { group: 'billing-managers' } })).toBe(
      'manager of who decided level1, else group billing-managers',
    );
    expect(assigneeSummary({ manager: 'creator' })).toBe('manager of the creator');
    expect(assigneeSummary({ head: 'billing' })).toBe('head of billing');
    expect(assigneeSummary({ manager: 'ann' })).toBe('manager of ann');
  });

  it('renaming a node renames the decider refs that name it, in assignees, fallbacks and recipients', () => {
    const d = ladder();
    d.nodes.splice(2, 0, {
      id: 'manager',
      type: 'approval',
      assignees: { manager: 'decider:level1', fallback: { manager: 'decider:level1' } },
      sla: { duration: '1h', warnings: [{ delay: '30m', channel: 'sms', notify: ['manager:decider:level1', 'group:x'] }] },
    });
    d.nodes.push({ id: 'note', type: 'notify', notify: ['manager:decider:level1'] });
    const r = updateNode(d, 'level1', { ...(d.nodes[1] as FlowDoc['nodes'][number]), id: 'first' });
    expect(r.nodes[2]?.assignees).toEqual({ manager: 'decider:first', fallback: { manager: 'decider:first' } });
    expect(r.nodes[2]?.sla?.warnings?.[0]?.notify).toEqual(['manager:decider:first', 'group:x']);
    expect(r.nodes.at(-1)?.notify).toEqual(['manager:decider:first']);
    // A rename of some other node leaves them alone.
    expect(updateNode(d, 'end', { id: 'done', type: 'end' }).nodes[2]?.assignees?.manager).toBe('decider:level1');
  });

  it('suggests refs from the directory and the flow’s own decision nodes, completing the item being typed', () => {
    const s: Suggestions = {
      source: 'directory',
      groups: ['billing-agents'],
      users: ['ann'],
      organisations: ['billing'],
      names: { 'user:ann': 'Ann Example', 'organisation:billing': 'Billing' },
      roles: ['director'],
      calendars: [],
      channels: ['sms'],
    };
    const d = ladder();
    expect(managerOptions(d, s).map((o) => o.value)).toEqual(['creator', 'decider:level1', 'ann']);
    expect(managerOptions(d, s, 'level1').map((o) => o.value)).toEqual(['creator', 'ann']);
    const refs = refOptions(d, s);
    expect(refs.map((o) => o.value)).toEqual([
      'assignees',
      'group:billing-agents',
      'user:ann',
      'organisation:billing',
      'head:billing',
      'manager:creator',
      'manager:decider:level1',
      'role:director',
    ]);
    expect(refs.find((o) => o.value === 'head:billing')?.label).toBe('head of Billing');
    // The list so far stays; the last item is completed from what contains it (value or name), never twice.
    expect(listCompletions('assignees, gr', refs).map((o) => o.value)).toEqual(['assignees, group:billing-agents']);
    expect(listCompletions('assignees, example', refs).map((o) => o.value)).toEqual(['assignees, user:ann']);
    expect(listCompletions('assignees,', refs)).toHaveLength(refs.length - 1);
    expect(listCompletions('', refs, 3)).toHaveLength(3);
  });
});
