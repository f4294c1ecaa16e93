import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { WORKFLOW_LIMITS } from '../limits.js';
import { compileFlow } from './compile.js';
import { checkGraph, type GraphControl, type GraphNode } from './graph.js';
import { IssueList, issuesOf, MAX_REPORTED_ISSUES, type ValidationIssue } from './issues.js';
import { loadFlow } from './load.js';

/** start → n0 → … → n(k-1) → end, every middle node a task. */
function chain(k: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const nodes: Record<string, unknown>[] = [{ id: 'start', type: 'start' }];
  const controls: Record<string, unknown>[] = [];
  for (let i = 0; i < k; i++) {
    nodes.push({ id: `n${i}`, type: 'task', assignees: { user: 'ann' } });
    controls.push({ from: i === 0 ? 'start' : `n${i - 1}`, to: `n${i}` });
  }
  nodes.push({ id: 'end', type: 'end' });
  controls.push({ from: k === 0 ? 'start' : `n${k - 1}`, to: 'end' });
  return { id: 'chain', version: 1, tenant: 'acme', name: 'Chain', nodes, controls, ...extra };
}

function refused(doc: unknown): { issues: ValidationIssue[]; message: string } {
  try {
    compileFlow(doc);
  } catch (err) {
    expect(isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')).toBe(true);
    return { issues: issuesOf(err), message: (err as Error).message };
  }
  throw new Error('definition was accepted');
}

describe('flow definitions are bounded at deploy', () => {
  it('refuses an SLA of 1000w on a sparse calendar with a compile error naming the duration', () => {
    const doc = chain(1);
    const nodes = doc.nodes as Record<string, unknown>[];
    nodes[1] = {
      ...nodes[1],
      sla: { duration: '1000w', calendar: { workingHours: { sun: ['03:00-04:00'] } }, warnings: [{ delay: '2000w', channel: 'log' }] },
    };
    expect(refused(doc).issues).toEqual([
      { path: 'nodes[1].sla.duration', message: '"1000w" is longer than the maximum of 365d' },
      { path: 'nodes[1].sla.warnings[0].delay', message: '"2000w" is longer than the maximum of 365d' },
    ]);
  });

  it('takes the longest SLA on a calendar open one hour a week', () => {
    const doc = chain(1);
    const nodes = doc.nodes as Record<string, unknown>[];
    nodes[1] = { ...nodes[1], sla: { duration: '365d', calendar: { workingHours: { sun: ['03:00-04:00'] } } } };
    expect(compileFlow(doc).nodes.get('n0')?.sla?.durationMs).toBe(WORKFLOW_LIMITS.maxDurationMs);
  });

  it('refuses a version that could never be raised, and takes the highest one', () => {
    expect(refused(chain(1, { version: 1e300 })).issues).toEqual([{ path: 'version', message: 'must be <= 2147483647' }]);
    expect(compileFlow(chain(1, { version: WORKFLOW_LIMITS.maxFlowVersion })).version).toBe(2_147_483_647);
  });

  it('refuses a flow id that would not fit a path parameter', () => {
    expect(refused(chain(1, { id: `f${'x'.repeat(100)}` })).issues).toEqual([
      { path: 'id', message: expect.stringMatching(/^"fx{39}…" does not match /) },
    ]);
    expect(compileFlow(chain(1, { id: `f${'x'.repeat(99)}` })).id).toHaveLength(100);
  });

  it('refuses a 5000-node chain by the node limit, and deploys a chain at the limit', () => {
    expect(refused(chain(5000)).issues).toEqual([
      { path: 'nodes', message: `must NOT have more than ${WORKFLOW_LIMITS.maxNodes} items` },
      { path: 'controls', message: `must NOT have more than ${WORKFLOW_LIMITS.maxControls} items` },
    ]);
    expect(compileFlow(chain(WORKFLOW_LIMITS.maxNodes - 2)).nodes.size).toBe(WORKFLOW_LIMITS.maxNodes);
  });

  it('refuses a document nested thousands deep (JSON or YAML) without recursing into it', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20_000; i++) deep = { a: deep };
    const doc = chain(1);
    (doc.nodes as Record<string, unknown>[])[1] = { id: 'n0', type: 'task', assignees: { user: 'ann' }, extra: deep };
    const { issues } = refused(doc);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(`nodes[1].extra${'.a'.repeat(29)}`);
    expect(issues[0]?.message).toBe('nests objects and arrays more than 32 deep');
    for (const yaml of [`id: x\nnodes: ${'['.repeat(20_000)}${']'.repeat(20_000)}`, `nodes:\n${'- '.repeat(20_000)}x`]) {
      expect(() => loadFlow(yaml)).toThrow(
        expect.objectContaining({ code: 'SLUICE_ERR_FLOW_INVALID', message: 'flow source nests collections more than 32 deep' }),
      );
    }
  });

  it('compiles at most 10,000 RE2 instructions of new patterns per flow', () => {
    const doc = chain(1);
    const seed = Date.now().toString(36);
    doc.controls = [
      ...Array.from({ length: 12 }, (_, i) => ({ from: 'n0', to: 'end', when: `fields.s.matches("${seed}${i}x{950}")` })),
      ...(doc.controls as unknown[]).slice(1),
    ];
    (doc.controls as unknown[]).unshift({ from: 'start', to: 'n0' });
    const { issues } = refused(doc);
    expect(issues.map((i) => i.path)).toEqual(['controls[11].when', 'controls[12].when']);
    expect(issues[0]?.message).toMatch(/the flow's patterns need more than 10000 RE2 instructions together$/);
  });

  it('compiles at most 500 different expressions per flow', () => {
    const doc = chain(1);
    const seed = Date.now().toString(36);
    doc.controls = [
      { from: 'start', to: 'n0' },
      ...Array.from({ length: 502 }, (_, i) => ({ from: 'n0', to: 'end', when: `fields.${seed} > ${i}` })),
      { from: 'n0', to: 'end', when: `fields.${seed} > 0` },
      { from: 'n0', to: 'end' },
    ];
    const { issues } = refused(doc);
    expect(issues).toEqual([
      { path: 'controls[501].when', message: 'the flow has more than 500 different expressions' },
      { path: 'controls[502].when', message: 'the flow has more than 500 different expressions' },
    ]);
  });

  it('reports the first issues in full and counts the rest', () => {
    const doc = chain(1);
    doc.controls = [...(doc.controls as unknown[]), ...Array.from({ length: 3000 }, (_, i) => ({ from: `ghost${i}`, to: 'end' }))];
    const { issues, message } = refused(doc);
    expect(issues).toHaveLength(MAX_REPORTED_ISSUES);
    expect(message).toMatch(/; and 2900 more issues$/);
  });
});

describe('checkGraph is linear and iterative', () => {
  /** A chain of `n` nodes as the graph check sees it, all automatic but the last. */
  function graphChain(n: number): { nodes: GraphNode[]; controls: GraphControl[] } {
    const nodes: GraphNode[] = [{ id: 's', index: 0, behaviour: 'start', outcomes: ['next'] }];
    const controls: GraphControl[] = [];
    for (let i = 1; i <= n; i++) {
      nodes.push({ id: `n${i}`, index: i, behaviour: 'wait', outcomes: ['next'] });
      controls.push({ index: i - 1, from: i === 1 ? 's' : `n${i - 1}`, to: `n${i}`, conditional: false });
    }
    nodes.push({ id: 'e', index: n + 1, behaviour: 'end', outcomes: [] });
    controls.push({ index: n, from: `n${n}`, to: 'e', conditional: false });
    return { nodes, controls };
  }

  it('walks a 50,000-node chain without recursion', { timeout: 60_000 }, () => {
    const { nodes, controls } = graphChain(50_000);
    const issues = new IssueList();
    expect(checkGraph(nodes, controls, issues).size).toBe(50_001);
    expect(issues.list()).toEqual([]);
  });

  it('names a long cycle without exit in a few nodes', () => {
    const { nodes, controls } = graphChain(3000);
    controls[controls.length - 1] = { index: 3000, from: 'n3000', to: 'n1', conditional: false };
    const issues = new IssueList();
    checkGraph(nodes, controls, issues);
    const cycle = issues.list().find((i) => i.message.startsWith('cycle without exit'));
    expect(cycle?.message).toBe(
      'cycle without exit: n1 → n2 → n3 → n4 → n5 → n6 → n7 → n8 → n9 → … 2991 more → n1 never reaches an end node',
    );
  });

  it('reads each control a bounded number of times, however many nodes and controls (15k controls)', () => {
    // 1000 nodes with two outcomes each and 15 controls per node: a scan of all controls
    // per node and outcome would read 30 million of them.
    const nodes: GraphNode[] = [{ id: 's', index: 0, behaviour: 'start', outcomes: ['next'] }];
    const list: GraphControl[] = [{ index: 0, from: 's', to: 'n0', conditional: false }];
    for (let i = 0; i < 1000; i++) {
      nodes.push({ id: `n${i}`, index: i + 1, behaviour: 'wait', outcomes: ['yes', 'no'] });
      const to = i === 999 ? 'e' : `n${i + 1}`;
      for (let k = 0; k < 7; k++) list.push({ index: list.length, from: `n${i}`, to, on: 'yes', conditional: true });
      list.push({ index: list.length, from: `n${i}`, to, on: 'yes', conditional: false });
      for (let k = 0; k < 6; k++) list.push({ index: list.length, from: `n${i}`, to, on: 'no', conditional: true });
      list.push({ index: list.length, from: `n${i}`, to, on: 'no', conditional: false });
    }
    nodes.push({ id: 'e', index: 1001, behaviour: 'end', outcomes: [] });
    let reads = 0;
    const counted = new Proxy(list, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    const issues = new IssueList();
    expect(checkGraph(nodes, counted, issues).size).toBe(list.length);
    expect(issues.list()).toEqual([]);
    expect(list.length).toBe(15_001);
    expect(reads).toBeLessThanOrEqual(4 * list.length);
  });
});
