import type { CompiledFlow, CompiledNode } from '../definition/compile.js';
import { evaluateCondition, type ExpressionContext } from '../definition/expression.js';
import { workflowError } from '../errors.js';
import { WORKFLOW_LIMITS } from '../limits.js';
import { dueAt, slaElapsed, startClock, stopClock } from '../sla/schedule.js';
import { checkFields } from './fields.js';
import { creatorOf, type AuditEntry, type Ticket, type TicketEvent, type Todo } from './ticket.js';

/**
 * Node entries allowed in one transition before it is called a loop. A deployed flow has no
 * cycle of automatic nodes, so one transition enters each node at most once: the flow size
 * limit bounds it, and a long chain of automatic nodes never trips it.
 */
const MAX_MOVES = WORKFLOW_LIMITS.maxNodes;

/** Ticket fields and facts as CEL sees them. */
export function expressionContext(ticket: Ticket): ExpressionContext {
  return {
    fields: ticket.fields,
    ticket: {
      id: ticket.id,
      tenant: ticket.tenant,
      title: ticket.title ?? '',
      flowId: ticket.flow.id,
      flowVersion: ticket.flow.version,
      nodeId: ticket.nodeId,
      state: ticket.state,
      origin: ticket.origin,
      createdAt: ticket.createdAt,
      createdBy: creatorOf(ticket) ?? '',
    },
  };
}

/**
 * A ticket under change inside one pure transition: it accumulates the new ticket value and
 * the events, never touching the input ticket.
 */
export class Draft {
  /** The ticket as changed so far. */
  ticket: Ticket;
  /** Events so far. */
  readonly events: TicketEvent[] = [];
  /** The flow version the ticket is pinned to. */
  readonly flow: CompiledFlow;
  /** Epoch ms of the transition. */
  readonly now: number;
  #moves = 0;

  /**
   * @param flow the flow version the ticket is pinned to
   * @param ticket the ticket before the transition
   * @param now epoch ms of the transition
   */
  constructor(flow: CompiledFlow, ticket: Ticket, now: number) {
    this.flow = flow;
    this.ticket = ticket;
    this.now = now;
  }

  /** Records an event stamped with the transition time. */
  emit(event: TicketEvent extends infer E ? (E extends unknown ? Omit<E, 'at'> : never) : never): void {
    this.events.push({ ...event, at: this.now } as TicketEvent);
  }

  /**
   * Replaces fields of the ticket; a field set to undefined is removed. New business
   * `fields` (merged ones included) must stay within the field limits.
   *
   * @throws SluiceError `SLUICE_ERR_VALIDATION` when new `fields` exceed a limit
   */
  set(patch: Partial<Ticket>): void {
    if (patch.fields !== undefined && patch.fields !== this.ticket.fields) checkFields(patch.fields);
    const next: Record<string, unknown> = { ...this.ticket, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete next[k];
    this.ticket = next as unknown as Ticket;
  }

  /** Replaces one todo by id. */
  updateTodo(id: string, patch: Partial<Todo>): void {
    this.set({ todos: this.ticket.todos.map((t) => (t.id === id ? { ...t, ...patch } : t)) });
  }

  /** The compiled node of the current position. */
  node(id = this.ticket.nodeId): CompiledNode {
    const node = this.flow.nodes.get(id);
    if (!node) throw workflowError('SLUICE_ERR_ACTION_INVALID', `node "${id}" is not in flow "${this.flow.id}" v${this.flow.version}`);
    return node;
  }

  /**
   * Leaves the current node with `outcome`: cancels its open todos, stops its SLA clock,
   * follows the first matching control and enters the target (and onward through automatic nodes).
   *
   * @throws SluiceError `SLUICE_ERR_NO_TRANSITION`, `SLUICE_ERR_EXPRESSION_FAILED`, `SLUICE_ERR_FLOW_LOOP`
   */
  leave(outcome: string): void {
    const [to, via] = this.#depart(outcome);
    this.enter(to, via);
  }

  /** Leaves the current node with `outcome`; returns the control's target and the outcome to enter it with. */
  #depart(outcome: string): [to: string, via: string] {
    const from = this.ticket.nodeId;
    for (const t of this.ticket.todos) {
      if (t.status === 'open' && t.visit === this.ticket.visit) {
        this.updateTodo(t.id, { status: 'cancelled', closedAt: this.now });
        this.emit({ type: 'todo.cancelled', todoId: t.id });
      }
    }
    this.#stopSla();
    const context = expressionContext(this.ticket);
    const control = (this.flow.controls.get(from) ?? []).find(
      (c) => c.on === outcome && (!c.when || evaluateCondition(c.when, context, `control ${from} → ${c.to} (controls[${c.index}])`)),
    );
    if (!control) {
      throw workflowError('SLUICE_ERR_NO_TRANSITION', `no control leaves node "${from}" on "${outcome}" for ticket "${this.ticket.id}"`);
    }
    this.emit({ type: 'node.left', nodeId: from, visit: this.ticket.visit, outcome, to: control.to });
    return [control.to, outcome];
  }

  #stopSla(): void {
    const clock = this.ticket.sla;
    if (!clock) return;
    const stopped = stopClock(clock, this.now);
    const elapsedMs = slaElapsed(stopped, this.now);
    this.emit({ type: 'sla.stopped', nodeId: clock.nodeId, elapsedMs, breached: elapsedMs >= clock.policy.durationMs });
    this.set({ sla: undefined });
  }

  /**
   * Enters a node: opens its todos and SLA, or moves on at once, or closes the ticket. Runs
   * through automatic nodes in a loop (never by recursion), at most `MAX_MOVES` of them.
   */
  enter(nodeId: string, via: string): void {
    for (let next: [string, string] | undefined = [nodeId, via]; next; ) next = this.#enterOne(...next);
  }

  /** Enters one node; returns where an automatic node moves on to, undefined once the ticket waits or closed. */
  #enterOne(nodeId: string, via: string): [to: string, via: string] | undefined {
    if (++this.#moves > MAX_MOVES) {
      throw workflowError(
        'SLUICE_ERR_FLOW_LOOP',
        `ticket "${this.ticket.id}" moved ${MAX_MOVES} times without waiting (last node "${nodeId}")`,
      );
    }
    const node = this.node(nodeId);
    const visit = this.ticket.visit + 1;
    this.set({ nodeId, visit });
    this.emit({ type: 'node.entered', nodeId, visit });
    const entry = node.type.enter(node.config);
    for (const n of entry.notifications ?? []) {
      this.emit({ type: 'notify.requested', nodeId, visit, channel: n.channel, recipients: n.notify, message: n.message });
    }
    switch (node.type.behaviour) {
      case 'end': {
        const outcome = entry.result ?? via;
        this.set({ state: 'closed', outcome, closedAt: this.now, hold: undefined });
        this.emit({ type: 'ticket.closed', outcome });
        return undefined;
      }
      case 'wait': {
        const todos: Todo[] = (entry.todos ?? []).map((spec, i) => ({
          id: `v${visit}-${i + 1}`,
          nodeId,
          visit,
          kind: spec.kind,
          title: spec.title,
          status: 'open',
          people: spec.people,
          createdAt: this.now,
        }));
        this.set({ todos: [...this.ticket.todos, ...todos] });
        for (const t of todos) this.emit({ type: 'todo.opened', todoId: t.id, nodeId });
        if (node.sla) {
          const clock = startClock(nodeId, visit, this.now, node.sla);
          this.set({ sla: clock });
          const breachAt = dueAt(clock, node.sla.durationMs);
          this.emit(breachAt === undefined ? { type: 'sla.started', nodeId, visit } : { type: 'sla.started', nodeId, visit, breachAt });
        }
        return undefined;
      }
      default:
        return this.#depart(entry.outcome ?? 'next');
    }
  }

  /**
   * The finished ticket: one audit entry appended for the whole transition, timestamps set.
   *
   * @param actor audit actor id
   * @param action action name
   */
  finish(actor: string, action: string, node: string, detail?: Record<string, unknown>): { ticket: Ticket; events: TicketEvent[] } {
    const entry: AuditEntry = {
      seq: this.ticket.history.length + 1,
      at: this.now,
      actor,
      action,
      node,
      revision: this.ticket.revision + 1,
      events: this.events.map((e) => e.type),
      ...(this.ticket.nodeId !== node && { toNode: this.ticket.nodeId }),
      ...(detail && { detail }),
    };
    this.set({ history: [...this.ticket.history, entry], updatedAt: this.now });
    return { ticket: this.ticket, events: this.events };
  }
}
