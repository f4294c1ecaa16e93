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

/**
 * Who a waiting node's todos go to (`workflow/definition/document.ts`): exactly one source
 * (`user`, `group`, `organisation`, `head` of an organisation, `manager` of `creator`,
 * `decider:<nodeId>` or a person id, or a people `expression`), how one person is picked, how
 * they are reminded, and who takes the todo when nobody of this spec can (`fallback`).
 */
export interface AssigneesDoc {
  user?: string;
  group?: string;
  organisation?: string;
  head?: string;
  manager?: string;
  expression?: string;
  strategy?: string;
  capacity?: number;
  skills?: string[];
  attributes?: Record<string, string>;
  remind?: string[];
  fallback?: AssigneesDoc;
}

/** The sources an assignee spec takes one of, in the order the inspector offers them. */
export const ASSIGNEE_SOURCES = ['group', 'user', 'organisation', 'head', 'manager', 'expression'] as const;
/** One source of an assignee spec. */
export type AssigneeSource = (typeof ASSIGNEE_SOURCES)[number];

/** The source a spec uses (the first one given; `group` when none is). */
export function assigneeSource(spec: AssigneesDoc | undefined): AssigneeSource {
  return ASSIGNEE_SOURCES.find((k) => spec?.[k] !== undefined) ?? 'group';
}

/** A spec with its source switched to `source` (empty value), everything else kept. */
export function withSource(spec: AssigneesDoc, source: AssigneeSource, value = ''): AssigneesDoc {
  const rest: AssigneesDoc = { ...spec };
  for (const k of ASSIGNEE_SOURCES) delete rest[k];
  return { [source]: value, ...rest };
}

/** Ids of the nodes that take decisions (approval and task): the ones `manager: decider:<nodeId>` may name. */
export function decisionNodes(doc: FlowDoc): string[] {
  return doc.nodes.filter((n) => waits(n.type)).map((n) => n.id);
}

/** A short text of who a spec stands for (`manager of who decided level1, else group billing-managers`), for the canvas. */
export function assigneeSummary(spec: AssigneesDoc | undefined): string {
  if (!spec) return '';
  const source = assigneeSource(spec);
  const value = String(spec[source] ?? '');
  let who: string;
  if (source === 'manager') {
    if (value === 'creator') who = 'manager of the creator';
    else if (value.startsWith('decider:')) who = `manager of who decided ${value.slice('decider:'.length)}`;
    else who = `manager of ${value}`;
  } else if (source === 'head') who = `head of ${value}`;
  else if (source === 'expression') who = 'people expression';
  else who = `${source} ${value}`;
  return spec.fallback ? `${who}, else ${assigneeSummary({ ...spec.fallback, fallback: undefined })}` : who;
}

/** A `decider:<from>` subject (or `manager:decider:<from>` ref) renamed to `to`; anything else unchanged. */
function renameDecider(text: string, from: string, to: string, prefix: string): string {
  return text === `${prefix}decider:${from}` ? `${prefix}decider:${to}` : text;
}

function renameInSpec(spec: AssigneesDoc, from: string, to: string): AssigneesDoc {
  return {
    ...spec,
    ...(spec.manager !== undefined && { manager: renameDecider(spec.manager, from, to, '') }),
    ...(spec.fallback && { fallback: renameInSpec(spec.fallback, from, to) }),
  };
}

/** A node with every `decider:<from>` it names (assignees, fallbacks, warning and notify recipients) made `decider:<to>`. */
function renameDeciderIn(node: NodeDoc, from: string, to: string): NodeDoc {
  const refs = (list: unknown) =>
    Array.isArray(list) ? list.map((r) => (typeof r === 'string' ? renameDecider(r, from, to, 'manager:') : r)) : list;
  return {
    ...node,
    ...(node.assignees && { assignees: renameInSpec(node.assignees, from, to) }),
    ...(node.sla?.warnings && {
      sla: { ...node.sla, warnings: node.sla.warnings.map((w) => (w.notify ? { ...w, notify: refs(w.notify) as string[] } : w)) },
    }),
    ...(Array.isArray(node.notify) && { notify: refs(node.notify) }),
  };
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

/**
 * Replaces node `id`; renaming it renames every control, separation rule and `decider:<id>`
 * people ref (assignees, fallbacks, recipients) that names it.
 */
export function updateNode(doc: FlowDoc, id: string, node: NodeDoc): FlowDoc {
  const rename = (x: string) => (x === id ? node.id : x);
  const renamed = node.id !== id;
  return {
    ...doc,
    nodes: doc.nodes.map((n) => {
      const next = n.id === id ? node : n;
      return renamed ? renameDeciderIn(next, id, node.id) : next;
    }),
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
  for (const n of doc.nodes) {
    scan(n.assignees?.expression);
    scan(n.assignees?.fallback?.expression);
  }
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

/** The inspector's suggestions (`GET /v1/studio/suggestions`): the tenant's directory and the refs its flows name. */
export interface Suggestions {
  /** `directory` when people come from the tenant's directory. */
  source?: 'directory' | 'flows';
  groups: string[];
  users: string[];
  organisations: string[];
  /** Display names by ref (`user:ann`, `group:billing-agents`, `organisation:billing`). */
  names?: Record<string, string>;
  roles: string[];
  calendars: string[];
  channels: string[];
  /** Steps of an assignee spec's `remind` list. */
  remind?: string[];
  /** Whether the server left some out (more than it lists). */
  truncated?: boolean;
}

/** One suggested value, with the text shown beside it. */
export interface Option {
  value: string;
  label?: string;
}

/** Suggestions of one kind of id (`user`, `group`, `organisation`), labelled with their directory names. */
export function idOptions(s: Suggestions, kind: 'user' | 'group' | 'organisation'): Option[] {
  const ids = kind === 'user' ? s.users : kind === 'group' ? s.groups : s.organisations;
  return ids.map((id) => ({ value: id, ...(s.names?.[`${kind}:${id}`] !== undefined && { label: s.names[`${kind}:${id}`] }) }));
}

/** What a `manager` source may name: the creator, the decider of each of the flow's decision nodes (but `self`), then people. */
export function managerOptions(doc: FlowDoc, s: Suggestions, self?: string): Option[] {
  return [
    { value: 'creator', label: 'who opened the ticket' },
    ...decisionNodes(doc)
      .filter((n) => n !== self)
      .map((n) => ({ value: `decider:${n}`, label: `who decided ${n}` })),
    ...idOptions(s, 'user'),
  ];
}

/**
 * Every people ref a recipient list may hold, for suggestions: `assignees`, `group:…`, `user:…`,
 * `organisation:…`, `head:…` of the organisations, `manager:creator`, `manager:decider:<node>` of
 * the flow's own decision nodes, and `role:…`.
 */
export function refOptions(doc: FlowDoc, s: Suggestions): Option[] {
  const label = (kind: string, id: string) => s.names?.[`${kind}:${id}`];
  const of = (kind: 'group' | 'user' | 'organisation') =>
    idOptions(s, kind).map((o) => ({ value: `${kind}:${o.value}`, ...(o.label !== undefined && { label: o.label }) }));
  return [
    { value: 'assignees', label: "the node's assignees" },
    ...of('group'),
    ...of('user'),
    ...of('organisation'),
    ...s.organisations.map((id) => ({ value: `head:${id}`, label: `head of ${label('organisation', id) ?? id}` })),
    { value: 'manager:creator', label: 'manager of who opened the ticket' },
    ...decisionNodes(doc).map((n) => ({ value: `manager:decider:${n}`, label: `manager of who decided ${n}` })),
    ...s.roles.map((r) => ({ value: `role:${r}` })),
  ];
}

/**
 * Suggestions for the item being typed in a comma-separated list: the options that contain its text
 * and are not in the list yet, each as the whole list with it completed (what a `<datalist>` offers
 * for the field), at most `max`.
 */
export function listCompletions(text: string, options: readonly Option[], max = 50): Option[] {
  const parts = text.split(',');
  const last = (parts.pop() ?? '').trim().toLowerCase();
  const done = parts.map((p) => p.trim()).filter((p) => p !== '');
  const prefix = done.length > 0 ? `${done.join(', ')}, ` : '';
  const taken = new Set(done);
  const out: Option[] = [];
  for (const o of options) {
    if (out.length >= max) break;
    if (taken.has(o.value)) continue;
    if (last !== '' && !o.value.toLowerCase().includes(last) && !(o.label ?? '').toLowerCase().includes(last)) continue;
    out.push({ value: `${prefix}${o.value}`, ...(o.label !== undefined && { label: o.label }) });
  }
  return out;
}
