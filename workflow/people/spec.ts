import type { AssigneesDoc } from '../definition/document.js';
import { compileExpression } from '../definition/expression.js';
import type { IssueList } from '../definition/issues.js';
import { parsePeopleRef, PEOPLE_REF_RULE } from './refs.js';

/** How one person is picked from a pool. */
export type AssignmentStrategy = 'round-robin' | 'least-loaded' | 'skill-match';

/** Where candidates come from. `manager` keeps its subject: `creator`, `decider:<nodeId>` or a person id. */
export type PeopleSource =
  | { readonly kind: 'user' | 'group' | 'organisation' | 'head' | 'manager'; readonly id: string }
  | { readonly kind: 'expression'; readonly expression: string };

/** One step of a reminder method: a channel, or `preferred` for the person's own order of preference. */
export type ReminderStep = 'preferred' | 'email' | 'sms' | 'voice' | 'wecom' | 'webhook';

/** The reminder method when a spec names none: the person's preferred channels, then e-mail. */
export const DEFAULT_REMIND: readonly ReminderStep[] = Object.freeze(['preferred', 'email']);

/** A resolved assignee spec: plain data kept on each todo so it can be re-assigned later. */
export interface PeopleSpec {
  readonly source: PeopleSource;
  readonly strategy: AssignmentStrategy;
  /** Default cap on open todos per person (a person's own capacity wins). */
  readonly capacity?: number;
  /** Skills a person needs; used by `skill-match`. */
  readonly skills: readonly string[];
  /** Attribute values a person needs; used by `skill-match`. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** How the assignee is reminded (default {@link DEFAULT_REMIND}); see {@link reminderChannels}. */
  readonly remind?: readonly ReminderStep[];
  /** Who takes the todo when nobody of this spec can. */
  readonly fallback?: PeopleSpec;
}

/** A principal ref parsed: `user:ann`, `group:billing`, `organisation:acme-eu`, `role:agent`, or a bare user id. */
export function parsePrincipal(ref: string): { kind: 'user' | 'group' | 'organisation' | 'role'; id: string } {
  const m = /^(user|group|organisation|role):(.+)$/.exec(ref);
  return m ? { kind: m[1] as 'user' | 'group' | 'organisation' | 'role', id: m[2] as string } : { kind: 'user', id: ref };
}

const SOURCES = ['user', 'group', 'organisation', 'head', 'manager', 'expression'] as const;

/**
 * Checks an assignee doc and turns it into a {@link PeopleSpec}, compiling an expression
 * source once so a bad one is refused at deploy time. A `manager` subject must be `creator`,
 * `decider:<nodeId>` or a person id (the node is checked against the flow by {@link checkPeopleNodes}).
 *
 * @param path where the doc sits, named in issues
 * @returns the spec, or undefined after recording issues
 */
export function compilePeople(doc: AssigneesDoc, path: string, issues: IssueList): PeopleSpec | undefined {
  const given = SOURCES.filter((k) => doc[k] !== undefined);
  if (given.length !== 1) {
    issues.add(path, `give exactly one of ${SOURCES.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`);
    return undefined;
  }
  const kind = given[0] as (typeof given)[number];
  const strategy = doc.strategy ?? 'round-robin';
  const skills = doc.skills ?? [];
  const attributes = doc.attributes;
  if (strategy === 'skill-match' && skills.length === 0 && Object.keys(attributes ?? {}).length === 0) {
    issues.add(`${path}.skills`, 'strategy skill-match needs at least one skill or attribute');
    return undefined;
  }
  if (strategy !== 'skill-match' && attributes !== undefined) {
    issues.add(`${path}.attributes`, 'attributes are matched by strategy skill-match only');
    return undefined;
  }
  let source: PeopleSource;
  if (kind === 'expression') {
    const expression = doc.expression as string;
    if (!issues.capture(`${path}.expression`, () => compileExpression(expression, 'people', `${path}.expression`))) return undefined;
    source = { kind, expression };
  } else {
    const id = doc[kind] as string;
    const ref = parsePeopleRef(`${kind}:${id}`);
    if (!ref) {
      issues.add(
        `${path}.${kind}`,
        kind === 'manager'
          ? `"${id}" is not creator, decider:<nodeId> or a person id`
          : `"${id}" is not an id (letters, digits, '.', '_', '@', '-'; no ':')`,
      );
      return undefined;
    }
    source = { kind, id };
  }
  let fallback: PeopleSpec | undefined;
  if (doc.fallback !== undefined) {
    fallback = compilePeople(doc.fallback, `${path}.fallback`, issues);
    if (!fallback) return undefined;
  }
  return {
    source,
    strategy,
    skills,
    ...(doc.capacity !== undefined && { capacity: doc.capacity }),
    ...(attributes !== undefined && { attributes: { ...attributes } }),
    ...(doc.remind !== undefined && { remind: [...new Set(doc.remind as ReminderStep[])] }),
    ...(fallback !== undefined && { fallback }),
  };
}

/** Places in a flow document where people refs sit: assignee specs (with fallbacks) and warning recipients. */
export function peopleRefsOf(nodes: readonly Record<string, unknown>[]): { path: string; ref: string }[] {
  const out: { path: string; ref: string }[] = [];
  const spec = (a: unknown, path: string): void => {
    if (typeof a !== 'object' || a === null) return;
    const doc = a as AssigneesDoc;
    if (typeof doc.manager === 'string') out.push({ path: `${path}.manager`, ref: `manager:${doc.manager}` });
    if (doc.fallback !== undefined) spec(doc.fallback, `${path}.fallback`);
  };
  nodes.forEach((node, i) => {
    spec(node.assignees, `nodes[${i}].assignees`);
    if (Array.isArray(node.todos))
      node.todos.forEach((t, j) => {
        // Not yet schema-checked: an entry may be anything (null, a number…).
        spec((t as { assignees?: unknown } | null)?.assignees, `nodes[${i}].todos[${j}].assignees`);
      });
    const warnings = (node.sla as { warnings?: unknown } | null | undefined)?.warnings;
    if (Array.isArray(warnings))
      warnings.forEach((w, k) => {
        const notify = (w as { notify?: unknown } | null)?.notify;
        if (Array.isArray(notify))
          notify.forEach((r, m) => {
            if (typeof r === 'string' && r !== 'assignees') out.push({ path: `nodes[${i}].sla.warnings[${k}].notify[${m}]`, ref: r });
          });
      });
  });
  return out;
}

/**
 * Flow-level check of people refs: each warning recipient must be a people ref
 * (`workflow/people/refs.ts`), and a `manager:decider:<nodeId>` (in assignees or recipients)
 * must name a node of the flow that takes decisions (approval, task).
 *
 * @param decides node id → whether it takes decisions, for the nodes of the flow
 */
export function checkPeopleRefs(nodes: readonly Record<string, unknown>[], decides: ReadonlyMap<string, boolean>, issues: IssueList): void {
  for (const { path, ref } of peopleRefsOf(nodes)) {
    const parsed = parsePeopleRef(ref);
    if (!parsed) {
      if (!path.endsWith('.manager')) issues.add(path, `"${ref}" is not ${PEOPLE_REF_RULE}`);
      continue;
    }
    if (parsed.kind !== 'manager' || parsed.subject.of !== 'decider') continue;
    const node = parsed.subject.nodeId;
    if (!decides.has(node)) issues.add(path, `manager: decider:${node} names no node of this flow`);
    else if (decides.get(node) === false)
      issues.add(path, `manager: decider:${node} names a node that takes no decisions (only approval and task nodes do)`);
  }
}
