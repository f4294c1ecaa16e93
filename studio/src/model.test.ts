import { describe, expect, it } from 'vitest';
import {
  addControl,
  addNode,
  controlKeys,
  diffFlows,
  durationMs,
  emptyFlow,
  fieldsOf,
  type FlowDoc,
  moveControl,
  newNode,
  placeIssues,
  removeNode,
  updateNode,
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
});
