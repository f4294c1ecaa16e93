import { randomUUID } from 'node:crypto';
import type { Clock } from '../../adapters/clock.js';
import type { CompiledFlow } from '../definition/compile.js';
import type { Actor } from '../definition/permissions.js';
import { selectFlow, type TriggerInput } from '../definition/triggers.js';
import { workflowError } from '../errors.js';
import { isSluiceError } from '../../core/errors.js';
import { WORKFLOW_LIMITS } from '../limits.js';
import { Emitter, type Listener } from '../../core/emitter.js';
import { MemoryPeopleDirectory, MemoryRoundRobinCounter } from '../people/memory.js';
import type { PeopleDirectory, RoundRobinCounter, WorkloadSource } from '../people/ports.js';
import type { Action } from './actions.js';
import { applyAssignments, planAssignments, releaseTodos, type AssignmentPorts } from './assign.js';
import { createTicket } from './create.js';
import { checkFields } from './fields.js';
import type { FlowCatalog } from './flow-store.js';
import { migrateTicket, type MigrationRequest } from './migrate.js';
import type { AuditEntry, Ticket, TicketEvent, TicketOrigin, TransitionResult } from './ticket.js';
import type { TicketFilters, TicketPage, TicketStore } from './ticket-store.js';
import { timersForTicket } from './timers.js';
import { applyAction } from './transition.js';

/** Ports and settings of {@link WorkflowEngine}. */
export interface WorkflowEngineOptions {
  readonly tickets: TicketStore;
  readonly flows: FlowCatalog;
  readonly clock: Clock;
  /** Default: an empty in-memory directory (user refs resolve to that user). */
  readonly people?: PeopleDirectory;
  /** Default: `tickets` when it is one, else everybody counts as idle. */
  readonly workload?: WorkloadSource;
  /** Default: an in-memory counter (fair within one process only). */
  readonly roundRobin?: RoundRobinCounter;
  /** Ticket id generator (default random UUID). */
  readonly newId?: () => string;
}

/** A ticket opened through the API on a named flow. */
export interface CreateTicketRequest {
  readonly tenant: string;
  readonly flowId: string;
  readonly actor: Actor;
  readonly title?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Ticket id (default generated). */
  readonly id?: string;
  readonly origin?: TicketOrigin;
}

/** A caller the control loop diverted, to be called back or followed up. */
export interface DiversionRequest {
  readonly tenant: string;
  readonly callId: string;
  /** Diversion channel (`callback`, `chat`, …); matched against flow triggers. */
  readonly channel: string;
  readonly level?: string;
  readonly skillGroup?: string;
  /** Intent the caller stated before the diversion; matched against flow triggers and kept on the origin. */
  readonly intent?: string;
  /** IVR menu steps the caller went through before the diversion; matched against flow triggers and kept on the origin. */
  readonly trajectory?: readonly string[];
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly title?: string;
  /** Ticket id (default generated); a deterministic one makes a retried request create one ticket. */
  readonly id?: string;
}

/** What the IVR learnt about a caller. */
export interface IvrRequest {
  readonly tenant: string;
  readonly callId?: string;
  readonly intent?: string;
  readonly trajectory?: readonly string[];
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly title?: string;
  /** Ticket id (default generated). */
  readonly id?: string;
}

/** A stored transition, as reported to listeners of `ticket.transition`. */
export interface TicketTransition {
  /** The ticket as stored. */
  readonly ticket: Ticket;
  /** The ticket before (undefined when it was just created). */
  readonly previous?: Ticket;
  /** What happened, in order. */
  readonly events: readonly TicketEvent[];
}

/** Instrumentation events of {@link WorkflowEngine}. */
export interface WorkflowEngineEvents {
  /** A ticket was created or changed (after the store accepted the write). */
  'ticket.transition': TicketTransition;
}

/** Options of {@link WorkflowEngine.act} and {@link WorkflowEngine.migrate}. */
export interface WriteOptions {
  /** Revision the caller last read (HTTP `If-Match`); a newer stored one fails with a conflict. */
  readonly expectedRevision?: number;
}

const isWorkload = (x: unknown): x is WorkloadSource => typeof (x as WorkloadSource).openTodoCounts === 'function';

/**
 * The workflow service's domain core with effects at the edge: load the ticket and its
 * pinned flow, run a pure transition, assign new todos, compare-and-set the ticket, then
 * bring its SLA timers in line. The same API serves the HTTP routes, the control loop and
 * the IVR.
 */
export class WorkflowEngine {
  readonly #o: WorkflowEngineOptions;
  readonly #ports: AssignmentPorts;
  readonly #newId: () => string;
  readonly #events = new Emitter<WorkflowEngineEvents>();

  /** @param options stores, flows, clock and people ports */
  constructor(options: WorkflowEngineOptions) {
    this.#o = options;
    this.#newId = options.newId ?? randomUUID;
    const zero: WorkloadSource = { openTodoCounts: async () => new Map() };
    this.#ports = {
      directory: options.people ?? new MemoryPeopleDirectory(),
      workload: options.workload ?? (isWorkload(options.tickets) ? options.tickets : zero),
      counter: options.roundRobin ?? new MemoryRoundRobinCounter(),
    };
  }

  /** Subscribes to an instrumentation event; returns the unsubscribe function. */
  on<K extends keyof WorkflowEngineEvents>(event: K, listener: Listener<WorkflowEngineEvents[K]>): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Opens a ticket on the latest version of a flow.
   *
   * @throws SluiceError `SLUICE_ERR_FLOW_NOT_FOUND`, `SLUICE_ERR_FORBIDDEN`, `SLUICE_ERR_TICKET_EXISTS`
   */
  async createTicket(req: CreateTicketRequest): Promise<TransitionResult> {
    if (req.fields) checkFields(req.fields);
    return this.#open(await this.#o.flows.get(req.tenant, req.flowId), req);
  }

  /**
   * Opens a ticket for a caller the control loop diverted, on the flow whose trigger matches
   * the diversion channel (and intent, IVR trajectory, fields).
   *
   * @throws SluiceError `SLUICE_ERR_NO_MATCHING_FLOW`
   */
  async createFromDiversion(req: DiversionRequest): Promise<TransitionResult> {
    if (req.fields) checkFields(req.fields);
    const origin: TicketOrigin = {
      kind: 'control',
      callId: req.callId,
      channel: req.channel,
      ...(req.level !== undefined && { level: req.level }),
      ...(req.skillGroup !== undefined && { skillGroup: req.skillGroup }),
      ...(req.intent !== undefined && { intent: req.intent }),
      ...(req.trajectory && { trajectory: [...req.trajectory] }),
    };
    const input: TriggerInput = {
      diversion: req.channel,
      ...(req.intent !== undefined && { intent: req.intent }),
      ...(req.trajectory && { trajectory: req.trajectory }),
      ...(req.fields && { fields: req.fields }),
    };
    const flow = await this.#match(req.tenant, input);
    return this.#open(flow, {
      tenant: req.tenant,
      actor: { id: 'control-loop', kind: 'system' },
      origin,
      ...(req.fields && { fields: req.fields }),
      ...(req.title !== undefined && { title: req.title }),
      ...(req.id !== undefined && { id: req.id }),
    });
  }

  /**
   * Opens a ticket from the IVR, on the flow whose trigger matches the intent and/or
   * trajectory.
   *
   * @throws SluiceError `SLUICE_ERR_NO_MATCHING_FLOW`
   */
  async createFromIvr(req: IvrRequest): Promise<TransitionResult> {
    if (req.fields) checkFields(req.fields);
    const origin: TicketOrigin = {
      kind: 'ivr',
      ...(req.callId !== undefined && { callId: req.callId }),
      ...(req.intent !== undefined && { intent: req.intent }),
      ...(req.trajectory && { trajectory: [...req.trajectory] }),
    };
    const input: TriggerInput = {
      ...(req.intent !== undefined && { intent: req.intent }),
      ...(req.trajectory && { trajectory: req.trajectory }),
      ...(req.fields && { fields: req.fields }),
    };
    const flow = await this.#match(req.tenant, input);
    return this.#open(flow, {
      tenant: req.tenant,
      actor: { id: 'ivr', kind: 'system' },
      origin,
      ...(req.fields && { fields: req.fields }),
      ...(req.title !== undefined && { title: req.title }),
      ...(req.id !== undefined && { id: req.id }),
    });
  }

  async #match(tenant: string, input: TriggerInput): Promise<CompiledFlow> {
    const flow = selectFlow(await this.#o.flows.latestAll(tenant), input);
    if (!flow) {
      const what = [
        input.intent && `intent "${input.intent}"`,
        input.diversion && `diversion "${input.diversion}"`,
        input.trajectory && `trajectory ${input.trajectory.join(' > ')}`,
      ]
        .filter(Boolean)
        .join(', ');
      throw workflowError('SLUICE_ERR_NO_MATCHING_FLOW', `no flow of tenant "${tenant}" is triggered by ${what || 'an empty request'}`);
    }
    return flow;
  }

  async #open(flow: CompiledFlow, req: Omit<CreateTicketRequest, 'flowId'>): Promise<TransitionResult> {
    const now = this.#o.clock.now();
    const opened = createTicket(
      flow,
      {
        tenant: req.tenant,
        id: req.id ?? this.#newId(),
        actor: req.actor,
        origin: req.origin ?? { kind: 'api' },
        ...(req.fields && { fields: req.fields }),
        ...(req.title !== undefined && { title: req.title }),
      },
      now,
    );
    const assigned = await this.#assign(opened, now);
    let stored: Ticket;
    try {
      // The ticket and its SLA timers in one atomic write: an instance killed here leaves neither or both.
      stored = await this.#o.tickets.create(assigned.ticket, (t) => timersForTicket(t, assigned.events));
    } catch (err) {
      // A create sent again finds the ticket: its SLA timers are put back before the 409, which repairs a ticket whose
      // timers were lost another way (evicted keys; a ticket stored by a Sluice that wrote the two apart). Timer ids
      // are deterministic and the store keeps fired ids and the newest revision, so this never fires anything twice.
      if (isSluiceError(err, 'SLUICE_ERR_TICKET_EXISTS')) {
        const existing = await this.#o.tickets.get(assigned.ticket.tenant, assigned.ticket.id);
        if (existing) await this.#o.tickets.timers.replace(existing.tenant, existing.id, existing.revision, timersForTicket(existing, []));
      }
      throw err;
    }
    this.#events.emit('ticket.transition', { ticket: stored, events: assigned.events });
    return { ticket: stored, events: assigned.events };
  }

  async #assign(result: TransitionResult, now: number): Promise<TransitionResult> {
    if (result.ticket.state === 'closed') return result;
    const { tenant, flow } = result.ticket;
    // The pinned version is compiled and cached by now (the transition used it): a map lookup.
    const { duties } = await this.#o.flows.get(tenant, flow.id, flow.version);
    const picks = await planAssignments(result.ticket, this.#ports, duties);
    const assigned = applyAssignments(result.ticket, picks, now);
    return { ticket: assigned.ticket, events: [...result.events, ...assigned.events] };
  }

  async #write(
    tenant: string,
    id: string,
    options: WriteOptions,
    run: (ticket: Ticket, now: number) => Promise<TransitionResult>,
    onlyIfAssigned = false,
  ): Promise<TransitionResult> {
    const ticket = await this.get(tenant, id);
    if (options.expectedRevision !== undefined && options.expectedRevision !== ticket.revision) {
      throw workflowError(
        'SLUICE_ERR_TICKET_CONFLICT',
        `ticket "${id}" of tenant "${tenant}" is at revision ${ticket.revision}, not ${options.expectedRevision}: re-read and retry`,
      );
    }
    const now = this.#o.clock.now();
    const result = await this.#assign(await run(ticket, now), now);
    if (result.ticket === ticket) return { ticket, events: [] };
    // A retry that still finds nobody leaves the ticket (and its history) as it was.
    if (onlyIfAssigned && !result.events.some((e) => e.type === 'todo.assigned')) return { ticket, events: [] };
    const stored = await this.#o.tickets.update(result.ticket, ticket.revision, (t) => timersForTicket(t, result.events));
    this.#events.emit('ticket.transition', { ticket: stored, previous: ticket, events: result.events });
    return { ticket: stored, events: result.events };
  }

  /**
   * Applies an action (approve, reject, complete, comment, reassign, pause, resume).
   *
   * @throws SluiceError `SLUICE_ERR_TICKET_CONFLICT` when another write got there first
   *   (retriable: re-read and retry), or the transition's own error
   */
  async act(tenant: string, ticketId: string, action: Action, options: WriteOptions = {}): Promise<TransitionResult> {
    if (action.type === 'complete' && action.fields) checkFields(action.fields);
    return this.#write(tenant, ticketId, options, async (ticket, now) =>
      applyAction(ticket, action, now, await this.#o.flows.get(tenant, ticket.flow.id, ticket.flow.version)),
    );
  }

  /**
   * Moves a waiting ticket to a newer version of its flow (the latest when `toVersion` is omitted).
   *
   * @throws SluiceError `SLUICE_ERR_MIGRATION_REFUSED`, `SLUICE_ERR_FORBIDDEN`, `SLUICE_ERR_TICKET_CONFLICT`
   */
  async migrate(
    tenant: string,
    ticketId: string,
    request: MigrationRequest & { readonly toVersion?: number },
    options: WriteOptions = {},
  ): Promise<TransitionResult> {
    return this.#write(tenant, ticketId, options, async (ticket, now) => {
      const from = await this.#o.flows.get(tenant, ticket.flow.id, ticket.flow.version);
      const to = await this.#o.flows.get(tenant, ticket.flow.id, request.toVersion);
      return migrateTicket(ticket, from, to, now, request);
    });
  }

  /**
   * Retries assignment of the ticket's unassigned todos (after people became free, joined or
   * came back). Writes only when someone was found: a retry that finds nobody changes nothing,
   * so periodic retries never grow the history.
   */
  async assignPending(tenant: string, ticketId: string, options: WriteOptions = {}): Promise<TransitionResult> {
    return this.#write(tenant, ticketId, options, async (ticket) => ({ ticket, events: [] }), true);
  }

  /**
   * Takes the ticket's open todos away from a person who can no longer take work (deleted or
   * inactive in the directory) and assigns them again, in one write.
   *
   * @param reason why, for the history
   */
  async releaseAssignee(tenant: string, ticketId: string, personId: string, reason: string): Promise<TransitionResult> {
    return this.#write(tenant, ticketId, {}, async (ticket, now) => releaseTodos(ticket, personId, reason, now));
  }

  /**
   * Appends one alert delivery attempt to the ticket's history (actor `system:alerts`, action `alert.<result>`,
   * the attempt in `detail`), retrying a few times when another write got there first. Nothing moves: no event,
   * no assignment, the SLA timers re-scheduled as they were. Past `maxAlertEntriesPerTicket` alert entries the
   * ticket is left as it is (the ClickHouse history keeps every attempt).
   *
   * @returns false when the ticket was left as it is (the cap), true when the entry was added
   */
  async recordAlert(tenant: string, ticketId: string, result: string, detail: Readonly<Record<string, unknown>>): Promise<boolean> {
    for (let tries = 0; ; tries++) {
      try {
        let added = false;
        await this.#write(tenant, ticketId, {}, async (ticket, now) => {
          const count = ticket.history.reduce((n, e) => n + (e.action.startsWith('alert.') ? 1 : 0), 0);
          if (count >= WORKFLOW_LIMITS.maxAlertEntriesPerTicket) return { ticket, events: [] };
          added = true;
          const entry: AuditEntry = {
            seq: ticket.history.length + 1,
            at: now,
            actor: 'system:alerts',
            action: `alert.${result}`,
            node: ticket.nodeId,
            revision: ticket.revision + 1,
            events: [],
            detail,
          };
          return { ticket: { ...ticket, history: [...ticket.history, entry], updatedAt: now }, events: [] };
        });
        return added;
      } catch (err) {
        if (tries >= 4 || !isSluiceError(err, 'SLUICE_ERR_TICKET_CONFLICT')) throw err;
      }
    }
  }

  /**
   * A ticket by id.
   *
   * @throws SluiceError `SLUICE_ERR_TICKET_NOT_FOUND`
   */
  async get(tenant: string, ticketId: string): Promise<Ticket> {
    const ticket = await this.#o.tickets.get(tenant, ticketId);
    if (!ticket) throw workflowError('SLUICE_ERR_TICKET_NOT_FOUND', `ticket "${ticketId}" does not exist in tenant "${tenant}"`);
    return ticket;
  }

  /** A page of the tenant's tickets. */
  list(tenant: string, filters?: TicketFilters, cursor?: string, limit?: number): Promise<TicketPage> {
    return this.#o.tickets.list(tenant, filters, cursor, limit);
  }
}
