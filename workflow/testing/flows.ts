import { compileFlow, type CompiledFlow } from '../definition/compile.js';
import { loadFlow } from '../definition/load.js';
import type { Ticket } from '../engine/ticket.js';

/**
 * A flow exercising every built-in node type, for engine tests:
 * start → intake (task, two todos) → review (approval, 2 approvers, SLA 1h pausing on
 * waiting_for_customer) → tell (notify) → end; a true `fields.vip` sends approved tickets to `audit`.
 */
export const PLAYGROUND_YAML = `
id: playground
version: 1
tenant: acme
name: Playground
permissions:
  admin: [role:supervisor]
triggers:
  - { diversion: callback }
nodes:
  - { id: start, type: start }
  - id: intake
    type: task
    todos:
      - { title: Collect documents, assignees: { user: ann } }
      - { title: Check account, assignees: { user: bob } }
  - id: review
    type: approval
    required: 2
    assignees: { group: reviewers, strategy: least-loaded, capacity: 2 }
    sla:
      duration: 1h
      pauseOn: [waiting_for_customer]
      warnings: [{ delay: 30m, channel: message }]
  - { id: audit, type: task, assignees: { user: ann } }
  - { id: tell, type: notify, channel: sms, notify: [customer], message: Your request was decided }
  - { id: end, type: end }
controls:
  - { from: start, to: intake }
  - { from: intake, to: review }
  - { from: review, on: approved, to: audit, when: "has(fields.vip) && fields.vip" }
  - { from: review, on: approved, to: tell }
  - { from: review, on: rejected, to: tell }
  - { from: audit, to: tell }
  - { from: tell, to: end }
`;

/** The playground flow, compiled; `version` and SLA duration may be changed for migration tests. */
export function playground(version = 1, slaDuration = '1h'): CompiledFlow {
  const doc = loadFlow(PLAYGROUND_YAML).document;
  return compileFlow({
    ...doc,
    version,
    nodes: doc.nodes.map((n) => (n.id === 'review' ? { ...n, sla: { ...n.sla, duration: slaDuration } } : n)),
  });
}

/** Ticket with assignees filled in the way the engine's assignment step would, for pure tests. */
export function assignAll(ticket: Ticket, pick: (todoTitle: string, index: number) => string): Ticket {
  let i = 0;
  return { ...ticket, todos: ticket.todos.map((t) => (t.status === 'open' && !t.assignee ? { ...t, assignee: pick(t.title, i++) } : t)) };
}
