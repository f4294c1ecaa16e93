import { dutyConflict, type CompiledDuty } from '../definition/duties.js';
import { compileExpression, evaluatePeople } from '../definition/expression.js';
import { isSluiceError } from '../../core/errors.js';
import { chooseAssignee, type Person } from '../people/assignment.js';
import type { PeopleDirectory, PrincipalRef, RoundRobinCounter, WorkloadSource } from '../people/ports.js';
import { parsePeopleRef, PEOPLE_REF_RULE, subjectPerson } from '../people/refs.js';
import type { PeopleSpec } from '../people/spec.js';
import { workflowError } from '../errors.js';
import { expressionContext } from './movement.js';
import {
  creatorOf,
  decidersOf,
  openTodos,
  type AuditEntry,
  type Ticket,
  type TicketEvent,
  type Todo,
  type TransitionResult,
} from './ticket.js';

/** The ports assignment reads. */
export interface AssignmentPorts {
  readonly directory: PeopleDirectory;
  readonly workload: WorkloadSource;
  readonly counter: RoundRobinCounter;
}

/** The decision for one unassigned todo. */
export type AssignmentPick = { readonly todoId: string; readonly assignee: string } | { readonly todoId: string; readonly reason: string };

function poolKey(spec: PeopleSpec): string {
  return spec.source.kind === 'expression' ? `expr:${spec.source.expression}` : `${spec.source.kind}:${spec.source.id}`;
}

/**
 * The directory refs a spec's source stands for on this ticket: its own ref, or the refs its
 * expression yields; `manager:creator` and `manager:decider:<node>` become the manager of that
 * person (nobody when the ticket has no such person); `role:` refs name nobody.
 *
 * @throws SluiceError `SLUICE_ERR_EXPRESSION_FAILED` for an expression that fails or yields something that is no people ref
 */
function sourceRefs(ticket: Ticket, spec: PeopleSpec, todoId: string): PrincipalRef[] {
  const texts =
    spec.source.kind === 'expression'
      ? evaluatePeople(
          compileExpression(spec.source.expression, 'people', `todo ${todoId}`),
          expressionContext(ticket),
          `assignees of todo "${todoId}"`,
        )
      : [`${spec.source.kind}:${spec.source.id}`];
  const context = { creator: creatorOf(ticket), deciders: decidersOf(ticket) };
  const out: PrincipalRef[] = [];
  for (const text of texts) {
    const ref = parsePeopleRef(text);
    if (!ref)
      throw workflowError(
        'SLUICE_ERR_EXPRESSION_FAILED',
        `assignees of todo "${todoId}": "${text.slice(0, 100)}" is not ${PEOPLE_REF_RULE}`,
      );
    if (ref.kind === 'role') continue;
    if (ref.kind === 'manager') {
      const subject = subjectPerson(ref.subject, context);
      if (subject !== undefined) out.push({ kind: 'manager', id: subject });
    } else {
      out.push({ kind: ref.kind, id: ref.id });
    }
  }
  return out;
}

async function candidates(ticket: Ticket, spec: PeopleSpec, todoId: string, directory: PeopleDirectory): Promise<Person[]> {
  const out: Person[] = [];
  for (const ref of sourceRefs(ticket, spec, todoId)) out.push(...(await directory.resolve(ticket.tenant, ref)));
  return out;
}

/**
 * People who may not decide `todo`, so it is not given to them: whoever decided another node of
 * one of its separation-of-duties rules, and for an approval whoever decided another approval
 * of the same node visit (the engine would refuse their decision).
 */
function barred(ticket: Ticket, todo: Todo, duties: readonly CompiledDuty[]): string[] {
  return ticket.todos.flatMap((d) =>
    d.decidedBy !== undefined &&
    ((todo.kind === 'approval' && d.nodeId === todo.nodeId && d.visit === todo.visit) ||
      dutyConflict(duties, todo.nodeId, d.decidedBy, [d]))
      ? [d.decidedBy]
      : [],
  );
}

/**
 * Decides assignees for the open, unassigned todos of the ticket's current visit: gathers
 * candidates, loads and round-robin turns through the ports, then picks with the pure
 * {@link chooseAssignee}. Todos of one pool in one visit go to different people, never to
 * someone the flow's separation of duties bars from deciding them; picks made here count toward loads. A todo nobody can take gets a reason instead.
 */
export async function planAssignments(
  ticket: Ticket,
  ports: AssignmentPorts,
  duties: readonly CompiledDuty[] = [],
): Promise<AssignmentPick[]> {
  const picks: AssignmentPick[] = [];
  const added = new Map<string, number>();
  const open = openTodos(ticket);
  for (const todo of open.filter((t) => t.assignee === undefined)) {
    const reasons: string[] = [];
    let assignee: string | undefined;
    // The todo's spec, then its fallback: the first that finds someone eligible takes it.
    for (let spec: PeopleSpec | undefined = todo.people; spec !== undefined && assignee === undefined; spec = spec.fallback) {
      try {
        const people = await candidates(ticket, spec, todo.id, ports.directory);
        const counts = await ports.workload.openTodoCounts(
          ticket.tenant,
          people.map((p) => p.id),
        );
        const loads = new Map([...new Set(people.map((p) => p.id))].map((id) => [id, (counts.get(id) ?? 0) + (added.get(id) ?? 0)]));
        const key = JSON.stringify(todo.people);
        const exclude = new Set([
          ...barred(ticket, todo, duties),
          ...open.filter((t) => t.assignee !== undefined && JSON.stringify(t.people) === key).map((t) => t.assignee as string),
          ...picks.flatMap((p) =>
            'assignee' in p && JSON.stringify(open.find((t) => t.id === p.todoId)?.people) === key ? [p.assignee] : [],
          ),
        ]);
        const counter = spec.strategy === 'round-robin' && people.length > 1 ? await ports.counter.next(ticket.tenant, poolKey(spec)) : 0;
        assignee = chooseAssignee(spec, { candidates: people, loads, counter, exclude });
        if (assignee === undefined)
          reasons.push(
            people.length === 0
              ? `nobody in ${poolKey(spec)}`
              : `no eligible person in ${poolKey(spec)} (capacity, skills or availability)`,
          );
      } catch (err) {
        if (!isSluiceError(err)) throw err;
        reasons.push(err.message);
      }
    }
    if (assignee === undefined) {
      picks.push({ todoId: todo.id, reason: reasons.join('; then ') });
    } else {
      picks.push({ todoId: todo.id, assignee });
      added.set(assignee, (added.get(assignee) ?? 0) + 1);
    }
  }
  return picks;
}

/**
 * Writes picks onto the ticket (pure): assignees set, one `assign` audit entry under the
 * revision the next store write produces (the same as the transition it completes).
 * A pick for a todo already assigned or no longer open is ignored.
 *
 * @param now epoch ms
 */
export function applyAssignments(ticket: Ticket, picks: readonly AssignmentPick[], now: number): TransitionResult {
  const events: TicketEvent[] = [];
  let todos = ticket.todos;
  for (const pick of picks) {
    const todo = todos.find((t) => t.id === pick.todoId);
    if (todo?.status !== 'open' || todo.assignee !== undefined) continue;
    if ('assignee' in pick) {
      todos = todos.map((t) => (t.id === pick.todoId ? { ...t, assignee: pick.assignee } : t));
      events.push({ type: 'todo.assigned', at: now, todoId: pick.todoId, assignee: pick.assignee });
    } else {
      events.push({ type: 'todo.unassigned', at: now, todoId: pick.todoId, reason: pick.reason });
    }
  }
  if (events.length === 0) return { ticket, events };
  const entry: AuditEntry = {
    seq: ticket.history.length + 1,
    at: now,
    actor: 'system:assignment',
    action: 'assign',
    node: ticket.nodeId,
    revision: ticket.revision + 1,
    events: events.map((e) => e.type),
    detail: { picks: picks.map((p) => ({ ...p })) },
  };
  return { ticket: { ...ticket, todos, history: [...ticket.history, entry], updatedAt: now }, events };
}

/**
 * Takes the ticket's open todos away from a person who can no longer take work (deleted from
 * the directory, made inactive), so the assignment step that follows in the same write gives
 * them to someone else (pure). One `release` audit entry by `system:assignment`.
 *
 * @param reason why, for the history (`left the directory`, `inactive`)
 * @param now epoch ms
 */
export function releaseTodos(ticket: Ticket, personId: string, reason: string, now: number): TransitionResult {
  const held = ticket.todos.filter((t) => t.status === 'open' && t.assignee === personId);
  if (held.length === 0 || ticket.state === 'closed') return { ticket, events: [] };
  const events: TicketEvent[] = held.map((t) => ({ type: 'todo.unassigned', at: now, todoId: t.id, reason: `${personId} ${reason}` }));
  const todos = ticket.todos.map((t) => {
    if (t.status !== 'open' || t.assignee !== personId) return t;
    const { assignee: _gone, ...rest } = t;
    return rest;
  });
  const entry: AuditEntry = {
    seq: ticket.history.length + 1,
    at: now,
    actor: 'system:assignment',
    action: 'release',
    node: ticket.nodeId,
    revision: ticket.revision + 1,
    events: events.map((e) => e.type),
    detail: { person: personId, reason, todos: held.map((t) => t.id) },
  };
  return { ticket: { ...ticket, todos, history: [...ticket.history, entry], updatedAt: now }, events };
}
