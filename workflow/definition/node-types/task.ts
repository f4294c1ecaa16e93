import type { AssigneesDoc } from '../document.js';
import { compilePeople } from '../../people/spec.js';
import { defineNodeType, type TodoSpec } from '../node-type.js';
import { assigneesSchema } from '../schema.js';

/** Compiled configuration of a task node. */
export interface TaskConfig {
  readonly todos: readonly TodoSpec[];
}

/**
 * Splits work into todos (one per entry of `todos`, or a single one from `assignees`) and
 * leaves with `completed` once every todo is completed.
 *
 * @example
 * { id: collect, type: task, todos: [ { title: Verify identity, assignees: { group: kyc } },
 *                                     { title: Check history, assignees: { group: billing, strategy: skill-match, skills: [billing] } } ] }
 */
export const taskNode = defineNodeType<TaskConfig>({
  type: 'task',
  description: 'waits until every todo is completed',
  behaviour: 'wait',
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 200 },
    assignees: assigneesSchema,
    todos: {
      type: 'array',
      minItems: 1,
      // Each todo of a visit is created at once: a bound on the work one node can ask for.
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'assignees'],
        properties: { title: { type: 'string', minLength: 1, maxLength: 200 }, assignees: assigneesSchema },
      },
    },
  },
  todoActions: ['complete'],
  compile(node, { path, issues }) {
    const list = node.todos as { title: string; assignees: AssigneesDoc }[] | undefined;
    if ((list === undefined) === (node.assignees === undefined)) {
      issues.add(path, `task node "${node.id}" needs either "assignees" (one todo) or "todos" (several), not ${list ? 'both' : 'neither'}`);
      return undefined;
    }
    const entries = list ?? [
      { title: (node.title as string | undefined) ?? node.name ?? node.id, assignees: node.assignees as AssigneesDoc },
    ];
    const todos: TodoSpec[] = [];
    entries.forEach((e, i) => {
      const people = compilePeople(e.assignees, list ? `${path}.todos[${i}].assignees` : `${path}.assignees`, issues);
      if (people) todos.push({ kind: 'task', title: e.title, people });
    });
    return todos.length === entries.length ? { todos } : undefined;
  },
  outcomes: () => ['completed'],
  enter: (c) => ({ todos: c.todos }),
  decide: (_c, todos) =>
    todos.length > 0 && todos.every((t) => t.status !== 'open') && todos.some((t) => t.decision === 'completed') ? 'completed' : undefined,
});
