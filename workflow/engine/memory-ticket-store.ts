import { workflowError } from '../errors.js';
import type { WorkloadSource } from '../people/ports.js';
import type { Ticket, TicketState } from './ticket.js';
import { MemoryTimerStore } from '../sla/memory-timer-store.js';
import { assertTimersOf } from '../sla/timer-store.js';
import { waitsForAssignment, type TicketFilters, type TicketPage, type TicketStore, type TimersOf } from './ticket-store.js';

const key = (tenant: string, id: string): string => `${tenant}\u0000${id}`;

/** Encodes a list position; bound to the tenant so a cursor cannot read across tenants. */
export function encodeCursor(tenant: string, createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([tenant, createdAt, id])).toString('base64url');
}

/**
 * Decodes a cursor from {@link encodeCursor}.
 *
 * @throws SluiceError `SLUICE_ERR_CURSOR_INVALID`
 */
export function decodeCursor(tenant: string, cursor: string): { createdAt: number; id: string } {
  try {
    const [t, createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    if (t === tenant && typeof createdAt === 'number' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through to the error below
  }
  throw workflowError('SLUICE_ERR_CURSOR_INVALID', `cursor "${cursor.slice(0, 40)}" is not a cursor of tenant "${tenant}"`);
}

/** True when a ticket matches every given filter. */
export function matchesFilters(t: Ticket, f: TicketFilters): boolean {
  return (
    (f.state === undefined || t.state === f.state) &&
    (f.flowId === undefined || t.flow.id === f.flowId) &&
    (f.nodeId === undefined || t.nodeId === f.nodeId) &&
    (f.assignee === undefined || t.todos.some((d) => d.status === 'open' && d.assignee === f.assignee)) &&
    (f.unassigned === undefined || waitsForAssignment(t) === f.unassigned) &&
    (f.createdFrom === undefined || t.createdAt >= f.createdFrom) &&
    (f.createdTo === undefined || t.createdAt < f.createdTo)
  );
}

/**
 * The in-memory {@link TicketStore} (and {@link WorkloadSource}: open todos are counted
 * from the stored tickets). No await between read and write, so compare-and-set is atomic.
 */
export class MemoryTicketStore implements TicketStore, WorkloadSource {
  readonly #tickets = new Map<string, Ticket>();
  readonly timers: MemoryTimerStore;

  /** @param options the timer store paired with this one (default a new one) */
  constructor(options: { readonly timers?: MemoryTimerStore } = {}) {
    this.timers = options.timers ?? new MemoryTimerStore();
  }

  /** The timers of the stored ticket, checked before anything is written; then written with it (no await between). */
  #timersOf(stored: Ticket, timers: TimersOf | undefined): (() => void) | undefined {
    if (!timers) return undefined;
    const list = timers(stored);
    assertTimersOf(stored.tenant, stored.id, list);
    return () => this.timers.replaceNow(stored.tenant, stored.id, stored.revision, list);
  }

  async get(tenant: string, id: string): Promise<Ticket | undefined> {
    const t = this.#tickets.get(key(tenant, id));
    return t && structuredClone(t);
  }

  async create(ticket: Ticket, timers?: TimersOf): Promise<Ticket> {
    const k = key(ticket.tenant, ticket.id);
    if (this.#tickets.has(k))
      throw workflowError('SLUICE_ERR_TICKET_EXISTS', `ticket "${ticket.id}" already exists in tenant "${ticket.tenant}"`);
    const stored = { ...structuredClone(ticket), revision: 1 };
    const writeTimers = this.#timersOf(stored, timers);
    this.#tickets.set(k, stored);
    writeTimers?.();
    return structuredClone(stored);
  }

  async update(ticket: Ticket, expectedRevision: number, timers?: TimersOf): Promise<Ticket> {
    const k = key(ticket.tenant, ticket.id);
    const current = this.#tickets.get(k);
    if (!current) throw workflowError('SLUICE_ERR_TICKET_NOT_FOUND', `ticket "${ticket.id}" does not exist in tenant "${ticket.tenant}"`);
    if (current.revision !== expectedRevision) {
      throw workflowError(
        'SLUICE_ERR_TICKET_CONFLICT',
        `ticket "${ticket.id}" of tenant "${ticket.tenant}" is at revision ${current.revision}, not ${expectedRevision}: re-read and retry`,
      );
    }
    const stored = { ...structuredClone(ticket), revision: expectedRevision + 1 };
    const writeTimers = this.#timersOf(stored, timers);
    this.#tickets.set(k, stored);
    writeTimers?.();
    return structuredClone(stored);
  }

  async list(tenant: string, filters: TicketFilters = {}, cursor?: string, limit = 50): Promise<TicketPage> {
    const size = Math.min(500, Math.max(1, Math.floor(limit)));
    const after = cursor === undefined ? undefined : decodeCursor(tenant, cursor);
    const prefix = `${tenant}\u0000`;
    const rows = [...this.#tickets.entries()]
      .filter(([k, t]) => k.startsWith(prefix) && matchesFilters(t, filters))
      .map(([, t]) => t)
      .filter((t) => !after || t.createdAt > after.createdAt || (t.createdAt === after.createdAt && t.id > after.id))
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = rows.slice(0, size).map((t) => structuredClone(t));
    const last = items[items.length - 1];
    return rows.length > size && last ? { items, nextCursor: encodeCursor(tenant, last.createdAt, last.id) } : { items };
  }

  /** Number of the tenant's tickets in each state (for gauges). */
  async countByState(tenant: string): Promise<Record<TicketState, number>> {
    const counts: Record<TicketState, number> = { active: 0, paused: 0, closed: 0 };
    const prefix = `${tenant}\u0000`;
    for (const [k, t] of this.#tickets) if (k.startsWith(prefix)) counts[t.state]++;
    return counts;
  }

  async unassignedTodos(tenant: string): Promise<number> {
    let n = 0;
    const prefix = `${tenant}\u0000`;
    for (const [k, t] of this.#tickets) {
      if (k.startsWith(prefix) && t.state !== 'closed') n += t.todos.filter((d) => d.status === 'open' && d.assignee === undefined).length;
    }
    return n;
  }

  async openTodoCounts(tenant: string, userIds: readonly string[]): Promise<Map<string, number>> {
    const wanted = new Set(userIds);
    const counts = new Map<string, number>();
    const prefix = `${tenant}\u0000`;
    for (const [k, t] of this.#tickets) {
      if (!k.startsWith(prefix) || t.state === 'closed') continue;
      for (const d of t.todos) {
        if (d.status === 'open' && d.assignee !== undefined && wanted.has(d.assignee))
          counts.set(d.assignee, (counts.get(d.assignee) ?? 0) + 1);
      }
    }
    return counts;
  }
}
