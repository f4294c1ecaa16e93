import type { Actor } from '../definition/permissions.js';
import type { PeopleSpec } from '../people/spec.js';
import type { SlaClock } from '../sla/schedule.js';

/** `active` tickets move, `paused` ones wait on a hold status (SLA stopped), `closed` ones are done. */
export type TicketState = 'active' | 'paused' | 'closed';

/** How a ticket came to be. */
export type TicketOrigin =
  | { readonly kind: 'api' }
  /** Opened by the control loop for a caller it diverted (callback, chat, …). */
  | {
      readonly kind: 'control';
      readonly callId: string;
      readonly channel: string;
      readonly level?: string;
      readonly skillGroup?: string;
      /** The intent the route request carried. */
      readonly intent?: string;
      /** The IVR menu path the route request carried, in order. */
      readonly trajectory?: readonly string[];
    }
  /** Opened from the IVR: recognised intent and/or the menu path taken. */
  | { readonly kind: 'ivr'; readonly callId?: string; readonly intent?: string; readonly trajectory?: readonly string[] };

/** The smallest unit of work: one person's approval or task at one node visit. */
export interface Todo {
  /** Unique within the ticket, e.g. `v2-1`. */
  readonly id: string;
  readonly nodeId: string;
  readonly visit: number;
  readonly kind: 'approval' | 'task';
  readonly title: string;
  readonly status: 'open' | 'done' | 'cancelled';
  /** User id; absent while nobody eligible was free. */
  readonly assignee?: string;
  /** Who it may go to; kept for re-assignment. */
  readonly people: PeopleSpec;
  readonly decision?: 'approved' | 'rejected' | 'completed';
  readonly decidedBy?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms it was decided or cancelled. */
  readonly closedAt?: number;
}

/** A note on a ticket. */
export interface Comment {
  readonly id: string;
  /** Epoch ms. */
  readonly at: number;
  readonly author: string;
  readonly text: string;
}

/** One line of a ticket's audit history: who did what, when, and what followed. */
export interface AuditEntry {
  readonly seq: number;
  /** Epoch ms. */
  readonly at: number;
  /** Actor id (`system:…` for the engine itself). */
  readonly actor: string;
  /** Action name (`create`, `approve`, `assign`, `migrate`, …). */
  readonly action: string;
  /** Node before the action. */
  readonly node: string;
  /** Node after it, when it moved. */
  readonly toNode?: string;
  /** Revision the action produced. */
  readonly revision: number;
  /** Types of the events it produced, in order. */
  readonly events: readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** A ticket: plain, serialisable data; every change goes through a pure transition. */
export interface Ticket {
  readonly tenant: string;
  readonly id: string;
  /** Flow and version the ticket is pinned to. */
  readonly flow: { readonly id: string; readonly version: number };
  readonly title?: string;
  readonly state: TicketState;
  /** Why it is paused, and since when (epoch ms). */
  readonly hold?: { readonly status: string; readonly since: number };
  /** Current node. */
  readonly nodeId: string;
  /** Node entries so far; numbers todos and SLA clocks. */
  readonly visit: number;
  /** Final result once closed (`approved`, `rejected`, an end node's result). */
  readonly outcome?: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly origin: TicketOrigin;
  readonly todos: readonly Todo[];
  /** SLA clock of the current node, when it has an SLA. */
  readonly sla?: SlaClock;
  readonly comments: readonly Comment[];
  readonly history: readonly AuditEntry[];
  /** Optimistic concurrency revision; set by the store (0 = never stored). */
  readonly revision: number;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
  /** Epoch ms. */
  readonly closedAt?: number;
}

/** What a transition reports, for timers, notifications, metrics and the API. */
export type TicketEvent = { readonly at: number } & (
  | { readonly type: 'ticket.created'; readonly flowId: string; readonly version: number; readonly origin: TicketOrigin['kind'] }
  | { readonly type: 'node.entered'; readonly nodeId: string; readonly visit: number }
  | { readonly type: 'node.left'; readonly nodeId: string; readonly visit: number; readonly outcome: string; readonly to: string }
  | { readonly type: 'todo.opened'; readonly todoId: string; readonly nodeId: string }
  | { readonly type: 'todo.assigned'; readonly todoId: string; readonly assignee: string; readonly previous?: string }
  | { readonly type: 'todo.unassigned'; readonly todoId: string; readonly reason: string }
  | { readonly type: 'todo.closed'; readonly todoId: string; readonly decision: 'approved' | 'rejected' | 'completed'; readonly by: string }
  | { readonly type: 'todo.cancelled'; readonly todoId: string }
  | { readonly type: 'fields.updated'; readonly keys: readonly string[] }
  | { readonly type: 'ticket.commented'; readonly commentId: string; readonly by: string }
  | { readonly type: 'ticket.paused'; readonly status: string }
  | { readonly type: 'ticket.resumed'; readonly pausedMs: number }
  | { readonly type: 'sla.started'; readonly nodeId: string; readonly visit: number; readonly breachAt?: number }
  | { readonly type: 'sla.stopped'; readonly nodeId: string; readonly elapsedMs: number; readonly breached: boolean }
  | { readonly type: 'sla.reapplied'; readonly nodeId: string; readonly breachAt?: number }
  | {
      readonly type: 'notify.requested';
      readonly nodeId: string;
      readonly visit: number;
      readonly channel: string;
      readonly recipients: readonly string[];
      readonly message: string;
    }
  | { readonly type: 'ticket.closed'; readonly outcome: string }
  | {
      readonly type: 'ticket.migrated';
      readonly fromVersion: number;
      readonly toVersion: number;
      readonly fromNode: string;
      readonly toNode: string;
    }
);

/** A transition's result: the new ticket and what happened. */
export interface TransitionResult {
  readonly ticket: Ticket;
  readonly events: readonly TicketEvent[];
}

/** Audit actor id of an actor. */
export function actorId(actor: Actor): string {
  return actor.kind === 'system' ? `system:${actor.id}` : actor.id;
}

/** Open todos of the ticket's current node visit. */
export function openTodos(ticket: Ticket): Todo[] {
  return ticket.todos.filter((t) => t.status === 'open' && t.visit === ticket.visit);
}

/** Actor id that opened the ticket (its `create` history entry): `ann`, `system:ivr`, `key:…`. */
export function creatorOf(ticket: Ticket): string | undefined {
  return ticket.history.find((e) => e.action === 'create')?.actor;
}

/** Who last decided a todo of each node of the ticket (person or actor id by node id). */
export function decidersOf(ticket: Ticket): Record<string, string> {
  const out: Record<string, string> = {};
  const at: Record<string, number> = {};
  for (const t of ticket.todos) {
    if (t.decidedBy === undefined) continue;
    const when = t.closedAt ?? t.createdAt;
    if ((at[t.nodeId] ?? Number.NEGATIVE_INFINITY) <= when) {
      out[t.nodeId] = t.decidedBy;
      at[t.nodeId] = when;
    }
  }
  return out;
}

/**
 * What a ticket's people refs depend on (`manager:creator`, `manager:decider:<nodeId>`), as the
 * people directory's `ContactDirectory.contacts` takes it: alert delivery passes this for a
 * warning of the ticket.
 */
export function recipientContext(ticket: Ticket): {
  creator?: string;
  fields: Readonly<Record<string, unknown>>;
  deciders: Record<string, string>;
} {
  const creator = creatorOf(ticket);
  return { ...(creator !== undefined && { creator }), fields: ticket.fields, deciders: decidersOf(ticket) };
}
