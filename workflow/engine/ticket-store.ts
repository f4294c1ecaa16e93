import type { SlaTimer, TimerStore } from '../sla/timer-store.js';
import type { Ticket, TicketState } from './ticket.js';

/** Filters of {@link TicketStore.list}; all given must hold. */
export interface TicketFilters {
  readonly state?: TicketState;
  readonly flowId?: string;
  readonly nodeId?: string;
  /** Tickets with an open todo assigned to this user. */
  readonly assignee?: string;
  /** Tickets (not closed) with an open todo of the current node visit that nobody holds: waiting for assignment. */
  readonly unassigned?: boolean;
  /** Created at or after, epoch ms. */
  readonly createdFrom?: number;
  /** Created before, epoch ms. */
  readonly createdTo?: number;
}

/** One page of tickets. */
export interface TicketPage {
  /** Oldest first (by creation time, then id). */
  readonly items: readonly Ticket[];
  /** Pass to the next call; absent on the last page. */
  readonly nextCursor?: string;
}

/** The SLA timers a ticket should have pending as stored (at its stored revision). Pure; called once per write. */
export type TimersOf = (stored: Ticket) => readonly SlaTimer[];

/**
 * Where tickets live: the in-memory twin here, Redis in the lead's adapter. Every key
 * includes the tenant, so no method can see another tenant's tickets. Tickets are copied
 * in and out: callers never share objects with the store.
 */
export interface TicketStore {
  /**
   * The SLA timer store paired with this one: `create` and `update` given a {@link TimersOf} replace the ticket's
   * pending timers there in the same atomic step as the ticket (the same Redis script; the same synchronous step in
   * memory), so a writer that dies leaves the ticket and its timers both as they were or both as they are after it.
   */
  readonly timers: TimerStore;
  /** The ticket, or undefined when the tenant has no such ticket. */
  get(tenant: string, id: string): Promise<Ticket | undefined>;
  /**
   * Stores a new ticket at revision 1 and returns it; with `timers`, the stored ticket's SLA timers are scheduled
   * in the same atomic step ({@link TimerStore.replace} at revision 1).
   *
   * @throws SluiceError `SLUICE_ERR_TICKET_EXISTS` (nothing written)
   */
  create(ticket: Ticket, timers?: TimersOf): Promise<Ticket>;
  /**
   * Replaces the ticket if its stored revision is still `expectedRevision` (compare-and-set),
   * storing and returning it at `expectedRevision + 1`; with `timers`, its SLA timers are replaced in the same
   * atomic step.
   *
   * @throws SluiceError `SLUICE_ERR_TICKET_CONFLICT` on a stale revision (HTTP 409), `SLUICE_ERR_TICKET_NOT_FOUND` (nothing written)
   */
  update(ticket: Ticket, expectedRevision: number, timers?: TimersOf): Promise<Ticket>;
  /**
   * A page of the tenant's tickets matching the filters.
   *
   * @param cursor from the previous page
   * @param limit page size, 1..500 (default 50)
   * @throws SluiceError `SLUICE_ERR_CURSOR_INVALID`
   */
  list(tenant: string, filters?: TicketFilters, cursor?: string, limit?: number): Promise<TicketPage>;
  /** Open todos nobody holds, on the tenant's tickets that are not closed (for a gauge). */
  unassignedTodos(tenant: string): Promise<number>;
}

/** True when the ticket is not closed and has an open todo of its current visit that nobody holds. */
export function waitsForAssignment(t: Ticket): boolean {
  return t.state !== 'closed' && t.todos.some((d) => d.status === 'open' && d.visit === t.visit && d.assignee === undefined);
}
