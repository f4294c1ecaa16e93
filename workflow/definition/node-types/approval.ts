import type { AssigneesDoc } from '../document.js';
import { compilePeople, type PeopleSpec } from '../../people/spec.js';
import { defineNodeType } from '../node-type.js';
import { assigneesSchema } from '../schema.js';

/** Compiled configuration of an approval node. */
export interface ApprovalConfig {
  readonly title: string;
  readonly people: PeopleSpec;
  /** Approvals needed, each from a different person. */
  readonly required: number;
}

/**
 * Asks `required` different people (default 1) to approve. Leaves with `rejected` at the
 * first rejection, with `approved` once enough approvals are in; the remaining todos are
 * cancelled either way.
 *
 * @example
 * { id: manager, type: approval, assignees: { group: managers, strategy: least-loaded, capacity: 20 } }
 */
export const approvalNode = defineNodeType<ApprovalConfig>({
  type: 'approval',
  description: 'waits for approve/reject decisions',
  behaviour: 'wait',
  properties: {
    assignees: assigneesSchema,
    required: { type: 'integer', minimum: 1, maximum: 20 },
    title: { type: 'string', minLength: 1 },
  },
  required: ['assignees'],
  todoActions: ['approve', 'reject'],
  compile(node, { path, issues }) {
    const people = compilePeople(node.assignees as AssigneesDoc, `${path}.assignees`, issues);
    if (!people) return undefined;
    return {
      title: (node.title as string | undefined) ?? `Approve: ${node.name ?? node.id}`,
      people,
      required: (node.required as number | undefined) ?? 1,
    };
  },
  outcomes: () => ['approved', 'rejected'],
  enter: (c) => ({ todos: Array.from({ length: c.required }, () => ({ kind: 'approval' as const, title: c.title, people: c.people })) }),
  decide(c, todos) {
    if (todos.some((t) => t.decision === 'rejected')) return 'rejected';
    return todos.filter((t) => t.decision === 'approved').length >= c.required ? 'approved' : undefined;
  },
});
