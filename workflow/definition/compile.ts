import { WORKFLOW_LIMITS } from '../limits.js';
import { BusinessCalendar, type CalendarSpec } from '../sla/calendar.js';
import type { SlaPolicy } from '../sla/policy.js';
import type { FlowDocument, NodeDoc } from './document.js';
import { compileDuties, type CompiledDuty } from './duties.js';
import { checkPeopleRefs } from '../people/spec.js';
import { compileExpression, withFlowBudget, type CompiledExpression } from './expression.js';
import { checkGraph, type GraphControl, type GraphNode } from './graph.js';
import { IssueList } from './issues.js';
import type { NodeType, NodeTypeRegistry } from './node-type.js';
import { defaultNodeTypes } from './node-types/index.js';
import { resolvePermissions, type FlowPermissions } from './permissions.js';
import { compileSla } from './sla.js';
import { checkDepth, checkShape, validateFlowShape } from './schema.js';
import { compileTriggers, type CompiledTrigger } from './triggers.js';

/** A validated node, ready for the engine. */
export interface CompiledNode {
  /** Position in `nodes` of the document. */
  readonly index: number;
  readonly id: string;
  readonly name: string;
  /** The registered node type. */
  readonly type: NodeType<unknown>;
  /** Output of the type's `compile`. */
  readonly config: unknown;
  /** Resolved SLA, for waiting nodes that have one. */
  readonly sla?: SlaPolicy;
  /** Outcomes it leaves with. */
  readonly outcomes: readonly string[];
}

/** A validated control. */
export interface CompiledControl {
  /** Position in `controls` of the document. */
  readonly index: number;
  readonly from: string;
  readonly to: string;
  /** The outcome it applies to (filled in when the node has one outcome). */
  readonly on: string;
  /** Condition, compiled once at validation. */
  readonly when?: CompiledExpression;
}

/** A flow definition that passed every check: expressions compiled, graph sound. Immutable. */
export interface CompiledFlow {
  readonly tenant: string;
  readonly id: string;
  readonly version: number;
  readonly name: string;
  /** The definition as deployed (frozen copy). */
  readonly document: FlowDocument;
  readonly startNodeId: string;
  /** Nodes by id. */
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** Controls leaving each node, in definition order. */
  readonly controls: ReadonlyMap<string, readonly CompiledControl[]>;
  readonly triggers: readonly CompiledTrigger[];
  readonly permissions: FlowPermissions;
  /** Separation-of-duties rules (empty when the flow has none). */
  readonly duties: readonly CompiledDuty[];
}

/** Options of {@link compileFlow}. */
export interface CompileOptions {
  /** Node types to accept (default: the built-in ones). */
  readonly registry?: NodeTypeRegistry;
}

const builtIn = defaultNodeTypes();

/** Freezes a parsed document and everything in it (iteratively: no recursion on its depth). */
function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v && typeof v === 'object' && !Object.isFrozen(v)) {
      Object.freeze(v);
      for (const child of Object.values(v)) stack.push(child);
    }
  }
  return value;
}

function subjectOf(doc: unknown): string {
  const d = doc as Partial<FlowDocument> | undefined;
  const version = typeof d?.version === 'number' && Number.isSafeInteger(d.version) ? ` v${d.version}` : '';
  return typeof d?.id === 'string' && d.id.length <= WORKFLOW_LIMITS.maxIdLength ? `flow "${d.id}"${version}` : 'flow';
}

/**
 * Validates a parsed definition and compiles it: shape (JSON schema), node types and their
 * settings, SLAs and calendars, CEL expressions (each compiled once, here), triggers, then
 * the graph. Every problem is reported at once.
 *
 * @throws SluiceError `SLUICE_ERR_FLOW_INVALID` whose message lists `path: reason` for
 *   each issue and whose `details.issues` holds them as data
 */
export function compileFlow(input: unknown, options: CompileOptions = {}): CompiledFlow {
  return withFlowBudget(() => compile(input, options));
}

function compile(input: unknown, options: CompileOptions): CompiledFlow {
  const registry = options.registry ?? builtIn;
  const issues = new IssueList();
  const subject = subjectOf(input);
  if (!checkDepth(input, WORKFLOW_LIMITS.maxDocumentDepth, '', issues)) issues.throwIfAny(subject);
  checkShape(validateFlowShape, input, '', issues);
  issues.throwIfAny(subject);
  const doc = deepFreeze(structuredClone(input) as FlowDocument);

  const calendars: Record<string, CalendarSpec> = {};
  for (const [name, spec] of Object.entries(doc.calendars ?? {})) {
    if (issues.capture(`calendars.${name}`, () => new BusinessCalendar(spec, `calendars.${name}`))) calendars[name] = spec;
  }

  const nodes = new Map<string, CompiledNode>();
  const graphNodes: GraphNode[] = [];
  doc.nodes.forEach((node: NodeDoc, index) => {
    const path = `nodes[${index}]`;
    const registered = registry.get(node.type);
    let compiled: CompiledNode | undefined;
    if (!registered) {
      issues.add(`${path}.type`, `unknown node type "${node.type}" (known: ${registry.names().join(', ')})`);
    } else if (checkShape(registered.validate, node, path, issues)) {
      const { type } = registered;
      const before = issues.size;
      const config = type.compile(node, { path, issues });
      let sla: SlaPolicy | undefined;
      if (node.sla && type.behaviour !== 'wait')
        issues.add(`${path}.sla`, `only waiting nodes take an SLA; "${node.id}" is a ${type.type} node`);
      else if (node.sla) sla = compileSla(node.sla, `${path}.sla`, calendars, issues);
      if (config !== undefined && issues.size === before) {
        const base = { index, id: node.id, name: node.name ?? node.id, type, config, outcomes: type.outcomes(config) };
        compiled = sla ? { ...base, sla } : base;
      }
    }
    graphNodes.push({ id: node.id, index, behaviour: compiled?.type.behaviour, outcomes: compiled?.outcomes ?? [] });
    if (compiled && !nodes.has(node.id)) nodes.set(node.id, compiled);
  });

  const whens = new Map<number, CompiledExpression>();
  const graphControls: GraphControl[] = doc.controls.map((c, index) => {
    if (c.when !== undefined) {
      const source = c.when;
      const expr = issues.capture(`controls[${index}].when`, () => compileExpression(source, 'condition', `controls[${index}].when`));
      if (expr) whens.set(index, expr);
    }
    return {
      index,
      from: c.from,
      to: c.to,
      conditional: c.when !== undefined,
      ...(c.id !== undefined && { id: c.id }),
      ...(c.on !== undefined && { on: c.on }),
    };
  });
  const triggers = compileTriggers(doc.triggers, 'triggers', issues);
  const duties = compileDuties(
    doc.separationOfDuties,
    doc.nodes,
    new Map([...nodes].map(([id, n]) => [id, { id, decides: n.type.todoActions.length > 0 }])),
    issues,
  );
  checkPeopleRefs(
    doc.nodes as unknown as Record<string, unknown>[],
    new Map(doc.nodes.map((n) => [n.id, nodes.get(n.id)?.type.todoActions.length !== 0])),
    issues,
  );
  const outcomes = checkGraph(graphNodes, graphControls, issues);
  issues.throwIfAny(subject);

  const controls = new Map<string, CompiledControl[]>();
  doc.controls.forEach((c, index) => {
    const when = whens.get(index);
    const control: CompiledControl = { index, from: c.from, to: c.to, on: outcomes.get(index) as string, ...(when && { when }) };
    const list = controls.get(c.from);
    if (list) list.push(control);
    else controls.set(c.from, [control]);
  });
  const start = [...nodes.values()].find((n) => n.type.behaviour === 'start') as CompiledNode;
  return {
    tenant: doc.tenant,
    id: doc.id,
    version: doc.version,
    name: doc.name,
    document: doc,
    startNodeId: start.id,
    nodes,
    controls,
    triggers,
    permissions: resolvePermissions(doc.permissions),
    duties,
  };
}
