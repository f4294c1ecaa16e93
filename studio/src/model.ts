/**
 * The studio's model: a flow document as the server stores it (`workflow/definition/document.ts`),
 * edited in place by pure functions, and what the page draws from it (issues on nodes and controls,
 * the diff of two versions). No DOM, no React: unit-tested beside it.
 */

/** A warning level of a node's SLA. */
export interface WarningDoc {
  delay: string | number;
  channel: string;
  repeat?: number;
  interval?: string | number;
  notify?: string[];
}

/** A node's SLA. */
export interface SlaDoc {
  duration: string | number;
  calendar?: string | Record<string, unknown>;
  pauseOn?: string[];
  warnings?: WarningDoc[];
  breachChannel?: string;
}

/** Who a waiting node's todos go to. */
export interface AssigneesDoc {
  user?: string;
  group?: string;
  organisation?: string;
  expression?: string;
  strategy?: string;
  capacity?: number;
  skills?: string[];
}

/** A node of a flow. */
export interface NodeDoc {
  id: string;
  type: string;
  name?: string;
  description?: string;
  assignees?: AssigneesDoc;
  sla?: SlaDoc;
  [property: string]: unknown;
}

/** A control (transition). */
export interface ControlDoc {
  id?: string;
  from: string;
  to: string;
  on?: string;
  when?: string;
}

/** A trigger. */
export interface TriggerDoc {
  intent?: string | string[];
  trajectory?: string[];
  diversion?: string | string[];
  when?: string;
  priority?: number;
}

/** A business calendar. */
export interface CalendarDoc {
  utcOffset?: string;
  timeZone?: string;
  workingHours: Record<string, string[]>;
  holidays?: string[];
}

/** A whole flow definition. */
export interface FlowDoc {
  id: string;
  version: number;
  tenant?: string;
  name: string;
  description?: string;
  permissions?: Record<string, string[]>;
  separationOfDuties?: { name: string; nodes: string[]; description?: string }[];
  triggers?: TriggerDoc[];
  calendars?: Record<string, CalendarDoc>;
  nodes: NodeDoc[];
  controls: ControlDoc[];
}

/** The node types the studio offers (the server's built-in ones), with what each does. */
export const NODE_TYPES = [
  { type: 'start', label: 'Start', waits: false, outcomes: ['next'] },
  { type: 'approval', label: 'Approval', waits: true, outcomes: ['approved', 'rejected'] },
  { type: 'task', label: 'Task', waits: true, outcomes: ['completed'] },
  { type: 'notify', label: 'Notify', waits: false, outcomes: ['next'] },
  { type: 'end', label: 'End', waits: false, outcomes: [] },
] as const;

/** Outcomes a node of `type` leaves with (empty for end and for types the studio does not know). */
export function outcomesOf(type: string): readonly string[] {
  return NODE_TYPES.find((t) => t.type === type)?.outcomes ?? [];
}

/** Whether nodes of `type` wait for people (and so take assignees and an SLA). */
export function waits(type: string): boolean {
  return NODE_TYPES.find((t) => t.type === type)?.waits ?? false;
}

/** A new, empty flow. */
export function emptyFlow(id: string, name: string, tenant?: string): FlowDoc {
  return { id, version: 1, ...(tenant !== undefined && { tenant }), name, nodes: [], controls: [] };
}

/** An id not yet used by a node: `base`, `base-2`, `base-3`, … */
export function freshNodeId(doc: FlowDoc, base: string): string {
  const used = new Set(doc.nodes.map((n) => n.id));
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}

/** The settings a new node of `type` starts with (the server's schema needs them). */
export function newNode(doc: FlowDoc, type: string): NodeDoc {
  const id = freshNodeId(doc, type);
  if (type === 'approval' || type === 'task') return { id, type, name: id, assignees: { group: '' } };
  if (type === 'notify') return { id, type, name: id, channel: 'message', notify: ['assignees'], message: 'Notification' };
  return { id, type };
}

/** Adds a node. */
export function addNode(doc: FlowDoc, node: NodeDoc): FlowDoc {
  return { ...doc, nodes: [...doc.nodes, node] };
}

/** Replaces node `id`; renaming it renames every control and separation rule that names it. */
export function updateNode(doc: FlowDoc, id: string, node: NodeDoc): FlowDoc {
  const rename = (x: string) => (x === id ? node.id : x);
  return {
    ...doc,
    nodes: doc.nodes.map((n) => (n.id === id ? node : n)),
    controls: node.id === id ? doc.controls : doc.controls.map((c) => ({ ...c, from: rename(c.from), to: rename(c.to) })),
    ...(doc.separationOfDuties &&
      node.id !== id && { separationOfDuties: doc.separationOfDuties.map((r) => ({ ...r, nodes: r.nodes.map(rename) })) }),
  };
}

/** Removes a node and every control to or from it. */
export function removeNode(doc: FlowDoc, id: string): FlowDoc {
  return { ...doc, nodes: doc.nodes.filter((n) => n.id !== id), controls: doc.controls.filter((c) => c.from !== id && c.to !== id) };
}

/** Adds a control at the end (controls are tried in order per node and outcome). */
export function addControl(doc: FlowDoc, control: ControlDoc): FlowDoc {
  return { ...doc, controls: [...doc.controls, control] };
}

/** Replaces control `index`. */
export function updateControl(doc: FlowDoc, index: number, control: ControlDoc): FlowDoc {
  return { ...doc, controls: doc.controls.map((c, i) => (i === index ? control : c)) };
}

/** Removes control `index`. */
export function removeControl(doc: FlowDoc, index: number): FlowDoc {
  return { ...doc, controls: doc.controls.filter((_, i) => i !== index) };
}

/** Moves control `index` one place earlier (-1) or later (+1) in the order they are tried. */
export function moveControl(doc: FlowDoc, index: number, by: -1 | 1): FlowDoc {
  const to = index + by;
  if (to < 0 || to >= doc.controls.length) return doc;
  const controls = [...doc.controls];
  [controls[index], controls[to]] = [controls[to] as ControlDoc, controls[index] as ControlDoc];
  return { ...doc, controls };
}

/** One reason the server refuses a definition. */
export interface Issue {
  path: string;
  message: string;
}

/** Where an issue belongs on the graph: a node (by id), a control (by index), or the flow as a whole. */
export type IssueTarget = { kind: 'node'; id: string } | { kind: 'control'; index: number } | { kind: 'flow' };

/**
 * The node or control an issue's path points at (`nodes[3].sla.calendar` → the 4th node,
 * `controls[1].when` → the 2nd control). Graph issues worded without an index (`node "x" is
 * unreachable`) are matched by the node id they quote.
 */
export function issueTarget(doc: FlowDoc, issue: Issue): IssueTarget {
  const node = /^nodes\[(\d+)\]/.exec(issue.path);
  if (node) {
    const n = doc.nodes[Number(node[1])];
    if (n) return { kind: 'node', id: n.id };
  }
  const control = /^controls\[(\d+)\]/.exec(issue.path);
  if (control && Number(control[1]) < doc.controls.length) return { kind: 'control', index: Number(control[1]) };
  const duty = /^separationOfDuties\[\d+\]\.nodes\[(\d+)\]/.exec(issue.path);
  if (duty) return { kind: 'flow' };
  const quoted = /node "([^"]+)"/.exec(issue.message);
  if (quoted && doc.nodes.some((n) => n.id === quoted[1])) return { kind: 'node', id: quoted[1] as string };
  return { kind: 'flow' };
}

/** Issues grouped by where they belong. */
export interface PlacedIssues {
  nodes: Map<string, Issue[]>;
  controls: Map<number, Issue[]>;
  flow: Issue[];
}

/** Places every issue on its node, control or the flow. */
export function placeIssues(doc: FlowDoc, issues: readonly Issue[]): PlacedIssues {
  const out: PlacedIssues = { nodes: new Map(), controls: new Map(), flow: [] };
  for (const issue of issues) {
    const t = issueTarget(doc, issue);
    if (t.kind === 'node') out.nodes.set(t.id, [...(out.nodes.get(t.id) ?? []), issue]);
    else if (t.kind === 'control') out.controls.set(t.index, [...(out.controls.get(t.index) ?? []), issue]);
    else out.flow.push(issue);
  }
  return out;
}

/** What changed for one node or control between two versions. */
export type Change = 'added' | 'removed' | 'changed' | 'same';

/** The diff of two versions: per node id and per control key. */
export interface FlowDiff {
  nodes: Map<string, Change>;
  /** Keyed by {@link controlKey}. */
  controls: Map<string, Change>;
  /** Top-level parts (triggers, calendars, permissions, name…) that differ. */
  flow: string[];
}

/**
 * A control's identity across versions: its label when it has one, else `from→to on` and its
 * rank among controls of the same `from→to on` (so a second, conditional control to the same
 * node stays apart from the first).
 */
export function controlKeys(doc: FlowDoc): string[] {
  const seen = new Map<string, number>();
  return doc.controls.map((c) => {
    if (c.id !== undefined) return `#${c.id}`;
    const base = `${c.from}→${c.to}${c.on === undefined ? '' : ` on ${c.on}`}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

/** A stable text of a value (object keys sorted), for comparing parts of two documents. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}

/** Compares two versions of a flow: nodes by id, controls by {@link controlKeys}, and the flow's other parts. */
export function diffFlows(before: FlowDoc, after: FlowDoc): FlowDiff {
  const nodes = new Map<string, Change>();
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  for (const n of after.nodes) {
    const o = old.get(n.id);
    nodes.set(n.id, !o ? 'added' : canonical(o) === canonical(n) ? 'same' : 'changed');
  }
  for (const n of before.nodes) if (!nodes.has(n.id)) nodes.set(n.id, 'removed');
  const controls = new Map<string, Change>();
  const beforeKeys = controlKeys(before);
  const oldControls = new Map(beforeKeys.map((k, i) => [k, before.controls[i] as ControlDoc]));
  controlKeys(after).forEach((k, i) => {
    const o = oldControls.get(k);
    const c = after.controls[i] as ControlDoc;
    controls.set(k, !o ? 'added' : (o.when ?? '') === (c.when ?? '') ? 'same' : 'changed');
  });
  for (const k of beforeKeys) if (!controls.has(k)) controls.set(k, 'removed');
  const flow: string[] = [];
  for (const part of ['name', 'description', 'permissions', 'separationOfDuties', 'triggers', 'calendars'] as const) {
    if (canonical(before[part]) !== canonical(after[part])) flow.push(part);
  }
  return { nodes, controls, flow };
}

/** Field paths (`fields.amount`, `fields.customer.tier`) a flow's expressions read, sorted. */
export function fieldsOf(doc: FlowDoc): string[] {
  const out = new Set<string>();
  const scan = (text: string | undefined) => {
    if (!text) return;
    for (const m of text.matchAll(/\bfields((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) out.add(`fields${m[1]}`);
  };
  for (const c of doc.controls) scan(c.when);
  for (const t of doc.triggers ?? []) scan(t.when);
  for (const n of doc.nodes) scan(n.assignees?.expression);
  return [...out].sort();
}

/**
 * Parses a duration as the server does (`90`, `"1h30m"`, `"45m"`, `"2d"`) into ms, for display;
 * undefined when it is not one.
 */
export function durationMs(value: string | number | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
  let total = 0;
  let rest = value.trim();
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (units[m[2] as string] as number);
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** A short human text of a duration in ms (`1h 30m`, `45s`). */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  return parts.slice(0, 2).join(' ');
}

/** A copy of a document without what the studio keeps only for itself (none today) and with `tenant` dropped for publishing. */
export function forPublish(doc: FlowDoc): FlowDoc {
  const { tenant: _tenant, ...rest } = doc;
  return rest as FlowDoc;
}
