import type { IssueList } from './issues.js';
import type { NodeBehaviour } from './node-type.js';

/** A node as the graph checks see it; `behaviour` is undefined when its type is unknown. */
export interface GraphNode {
  readonly id: string;
  readonly index: number;
  readonly behaviour: NodeBehaviour | undefined;
  readonly outcomes: readonly string[];
}

/** A control as the graph checks see it. */
export interface GraphControl {
  readonly index: number;
  readonly id?: string;
  readonly from: string;
  readonly to: string;
  readonly on?: string;
  readonly conditional: boolean;
}

type Next = (id: string) => readonly string[];

/**
 * Strongly connected components (Tarjan), each listed in discovery order. Iterative, with an
 * explicit stack of frames, so a long chain of nodes cannot overflow the call stack.
 */
function components(ids: readonly string[], next: Next): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const frames: { v: string; succ: readonly string[]; i: number }[] = [];
  let counter = 0;
  const open = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    frames.push({ v, succ: next(v), i: 0 });
  };
  for (const root of ids) {
    if (index.has(root)) continue;
    open(root);
    while (frames.length > 0) {
      const f = frames[frames.length - 1] as (typeof frames)[number];
      if (f.i < f.succ.length) {
        const w = f.succ[f.i++] as string;
        if (!index.has(w)) open(w);
        else if (onStack.has(w)) low.set(f.v, Math.min(low.get(f.v) as number, index.get(w) as number));
        continue;
      }
      frames.pop();
      if (low.get(f.v) === index.get(f.v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== f.v);
        out.push(comp.reverse());
      }
      const parent = frames[frames.length - 1];
      if (parent) low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(f.v) as number));
    }
  }
  return out;
}

/** Nodes of a cycle named in full up to this many; longer ones are cut in the message. */
const CYCLE_SHOWN = 10;

/** A closed walk `a → b → a` through the component, for messages (long ones shortened). */
function cycleText(comp: readonly string[], next: Next): string {
  const members = new Set(comp);
  const first = comp[0] as string;
  const prev = new Map<string, string>();
  const queue = [first];
  let walk: string[] = comp.slice();
  search: for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as string;
    for (const w of next(v)) {
      if (!members.has(w)) continue;
      if (w === first) {
        walk = [];
        for (let c: string | undefined = v; c !== undefined && c !== first; c = prev.get(c)) walk.push(c);
        walk.push(first);
        walk.reverse();
        break search;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  const shown = walk.length > CYCLE_SHOWN ? [...walk.slice(0, CYCLE_SHOWN - 1), `… ${walk.length - CYCLE_SHOWN + 1} more`] : walk;
  return [...shown, first].join(' → ');
}

function reach(from: readonly string[], next: Next): Set<string> {
  const seen = new Set(from);
  const queue = [...from];
  for (let head = 0; head < queue.length; head++) for (const w of next(queue[head] as string)) if (!seen.has(w)) seen.add(w), queue.push(w);
  return seen;
}

/** Appends `value` to the list under `key`, creating it (one allocation per key, not per value). */
function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Checks the flow graph, recording every problem: duplicate ids, start/end counts, dangling
 * controls, outcomes without (or without a default) control, unreachable nodes and ends,
 * cycles without exit, and cycles of automatic nodes that would never wait.
 *
 * @returns the outcome each control applies to, by control index (for valid controls)
 */
export function checkGraph(nodes: readonly GraphNode[], controls: readonly GraphControl[], issues: IssueList): Map<number, string> {
  const byId = new Map<string, GraphNode>();
  for (const n of nodes) {
    const first = byId.get(n.id);
    if (first) issues.add(`nodes[${n.index}].id`, `duplicate node id "${n.id}" (first at nodes[${first.index}])`);
    else byId.set(n.id, n);
  }
  const controlIds = new Map<string, number>();
  for (const c of controls) {
    if (c.id === undefined) continue;
    const first = controlIds.get(c.id);
    if (first !== undefined) issues.add(`controls[${c.index}].id`, `duplicate control id "${c.id}" (first at controls[${first}])`);
    else controlIds.set(c.id, c.index);
  }
  const known = [...byId.values()];
  const starts = known.filter((n) => n.behaviour === 'start');
  if (starts.length === 0 && known.every((n) => n.behaviour !== undefined)) issues.add('nodes', 'a flow needs a start node');
  for (const extra of starts.slice(1)) issues.add(`nodes[${extra.index}]`, `second start node "${extra.id}": a flow has exactly one`);
  if (!known.some((n) => n.behaviour === 'end') && known.every((n) => n.behaviour !== undefined))
    issues.add('nodes', 'a flow needs at least one end node');

  const resolved = new Map<number, string>();
  const edges = new Map<string, string[]>();
  for (const c of controls) {
    const from = byId.get(c.from);
    const to = byId.get(c.to);
    if (!from) issues.add(`controls[${c.index}].from`, `unknown node "${c.from}" (dangling control)`);
    if (!to) issues.add(`controls[${c.index}].to`, `unknown node "${c.to}" (dangling control target)`);
    if (!from || !to || from.behaviour === undefined) continue;
    if (from.behaviour === 'end') {
      issues.add(`controls[${c.index}].from`, `end node "${from.id}" cannot have outgoing controls`);
      continue;
    }
    if (to.behaviour === undefined) {
      // The target's own issue is reported already; count the control so its source raises no noise.
      if (c.on === undefined || from.outcomes.includes(c.on)) resolved.set(c.index, c.on ?? (from.outcomes[0] as string));
      continue;
    }
    if (to.behaviour === 'start') {
      issues.add(`controls[${c.index}].to`, `start node "${to.id}" cannot be re-entered`);
      continue;
    }
    let on = c.on;
    if (on === undefined && from.outcomes.length === 1) on = from.outcomes[0];
    if (on === undefined) {
      issues.add(`controls[${c.index}].on`, `node "${from.id}" leaves with ${from.outcomes.join(' or ')}; say which`);
      continue;
    }
    if (!from.outcomes.includes(on)) {
      issues.add(`controls[${c.index}].on`, `node "${from.id}" has no outcome "${on}" (it has ${from.outcomes.join(', ')})`);
      continue;
    }
    resolved.set(c.index, on);
    push(edges, from.id, to.id);
  }

  // Controls by (source, outcome), in definition order: one pass, not one scan per outcome.
  const byOutcome = new Map<string, GraphControl[]>();
  for (const c of controls) {
    const on = resolved.get(c.index);
    if (on !== undefined) push(byOutcome, `${c.from}\u0000${on}`, c);
  }
  for (const n of known) {
    for (const outcome of n.outcomes) {
      const list = byOutcome.get(`${n.id}\u0000${outcome}`) ?? [];
      if (list.length === 0) {
        issues.add(`nodes[${n.index}]`, `outcome "${outcome}" of node "${n.id}" has no control`);
        continue;
      }
      const firstDefault = list.findIndex((c) => !c.conditional);
      if (firstDefault === -1) {
        const last = list[list.length - 1] as GraphControl;
        issues.add(
          `controls[${last.index}].when`,
          `the last control for node "${n.id}" on "${outcome}" must have no condition, so the ticket can always move on`,
        );
      }
      for (const c of list.slice(firstDefault + 1)) {
        if (firstDefault !== -1)
          issues.add(
            `controls[${c.index}]`,
            `never tried: controls[${(list[firstDefault] as GraphControl).index}] for node "${n.id}" on "${outcome}" has no condition`,
          );
      }
    }
  }

  if (known.some((n) => n.behaviour === undefined) || starts.length !== 1) return resolved;
  const successors = new Map<string, string[]>();
  for (const [from, tos] of edges) successors.set(from, [...new Set(tos)]);
  const next: Next = (id) => successors.get(id) ?? [];
  const reachable = reach([(starts[0] as GraphNode).id], next);
  for (const n of known) {
    if (reachable.has(n.id)) continue;
    issues.add(
      `nodes[${n.index}]`,
      n.behaviour === 'end' ? `end node "${n.id}" is unreachable from start` : `node "${n.id}" is unreachable from start`,
    );
  }
  const reverse = new Map<string, string[]>();
  for (const [from, tos] of successors) for (const to of tos) push(reverse, to, from);
  const ends = known.filter((n) => n.behaviour === 'end').map((n) => n.id);
  const canFinish = reach(ends, (id) => reverse.get(id) ?? []);
  if (!ends.some((e) => reachable.has(e))) issues.add('nodes', 'no end node is reachable from start');

  const live = known.filter((n) => reachable.has(n.id)).map((n) => n.id);
  // Every successor of a reachable node is reachable: the live subgraph needs no filtering.
  for (const comp of components(live, next)) {
    const head = byId.get(comp[0] as string) as GraphNode;
    const cyclic = comp.length > 1 || next(head.id).includes(head.id);
    if (!canFinish.has(head.id)) {
      if (cyclic) issues.add(`nodes[${head.index}]`, `cycle without exit: ${cycleText(comp, next)} never reaches an end node`);
      else if (head.behaviour !== 'end') issues.add(`nodes[${head.index}]`, `node "${head.id}" leads only into a cycle without exit`);
    } else if (cyclic && comp.every((id) => byId.get(id)?.behaviour !== 'wait')) {
      issues.add(`nodes[${head.index}]`, `cycle of automatic nodes ${cycleText(comp, next)} never waits for anyone`);
    }
  }
  return resolved;
}
