import type { AssigneesDoc } from '../definition/document.js';
import { compileExpression } from '../definition/expression.js';
import type { IssueList } from '../definition/issues.js';

/** How one person is picked from a pool. */
export type AssignmentStrategy = 'round-robin' | 'least-loaded' | 'skill-match';

/** Where candidates come from. */
export type PeopleSource =
  | { readonly kind: 'user' | 'group' | 'organisation'; readonly id: string }
  | { readonly kind: 'expression'; readonly expression: string };

/** A resolved assignee spec: plain data kept on each todo so it can be re-assigned later. */
export interface PeopleSpec {
  readonly source: PeopleSource;
  readonly strategy: AssignmentStrategy;
  /** Default cap on open todos per person (a person's own capacity wins). */
  readonly capacity?: number;
  /** Skills a person needs; used by `skill-match`. */
  readonly skills: readonly string[];
}

/** A principal ref parsed: `user:ann`, `group:billing`, `organisation:acme-eu`, or a bare user id. */
export function parsePrincipal(ref: string): { kind: 'user' | 'group' | 'organisation' | 'role'; id: string } {
  const m = /^(user|group|organisation|role):(.+)$/.exec(ref);
  return m ? { kind: m[1] as 'user' | 'group' | 'organisation' | 'role', id: m[2] as string } : { kind: 'user', id: ref };
}

/**
 * Checks an assignee doc and turns it into a {@link PeopleSpec}, compiling an expression
 * source once so a bad one is refused at deploy time.
 *
 * @param path where the doc sits, named in issues
 * @returns the spec, or undefined after recording issues
 */
export function compilePeople(doc: AssigneesDoc, path: string, issues: IssueList): PeopleSpec | undefined {
  const given = (['user', 'group', 'organisation', 'expression'] as const).filter((k) => doc[k] !== undefined);
  if (given.length !== 1) {
    issues.add(path, `give exactly one of user, group, organisation, expression (got ${given.length === 0 ? 'none' : given.join(', ')})`);
    return undefined;
  }
  const kind = given[0] as (typeof given)[number];
  const strategy = doc.strategy ?? 'round-robin';
  const skills = doc.skills ?? [];
  if (strategy === 'skill-match' && skills.length === 0) {
    issues.add(`${path}.skills`, 'strategy skill-match needs at least one skill');
    return undefined;
  }
  let source: PeopleSource;
  if (kind === 'expression') {
    const expression = doc.expression as string;
    if (!issues.capture(`${path}.expression`, () => compileExpression(expression, 'people', `${path}.expression`))) return undefined;
    source = { kind, expression };
  } else {
    source = { kind, id: doc[kind] as string };
  }
  return doc.capacity === undefined ? { source, strategy, skills } : { source, strategy, skills, capacity: doc.capacity };
}
