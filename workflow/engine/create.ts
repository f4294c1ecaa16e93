import type { CompiledFlow } from '../definition/compile.js';
import { allows, type Actor } from '../definition/permissions.js';
import { workflowError } from '../errors.js';
import { Draft } from './movement.js';
import { actorId, type Ticket, type TicketOrigin, type TransitionResult } from './ticket.js';

/** What a new ticket starts from. */
export interface NewTicket {
  readonly tenant: string;
  /** Ticket id, unique in the tenant (the engine generates one). */
  readonly id: string;
  readonly title?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly origin: TicketOrigin;
  readonly actor: Actor;
}

/**
 * Opens a ticket on a flow version (which it stays pinned to) and runs it from the start
 * node to the first node that waits (or to an end). Pure: the result has revision 0 until
 * the store creates it.
 *
 * @param now epoch ms
 * @throws SluiceError `SLUICE_ERR_FLOW_NOT_FOUND` (flow of another tenant), `SLUICE_ERR_FORBIDDEN`, or a routing error
 */
export function createTicket(flow: CompiledFlow, input: NewTicket, now: number): TransitionResult {
  if (flow.tenant !== input.tenant) {
    throw workflowError('SLUICE_ERR_FLOW_NOT_FOUND', `flow "${flow.id}" v${flow.version} does not exist in tenant "${input.tenant}"`);
  }
  if (!allows(flow.permissions, input.actor, 'start')) {
    throw workflowError('SLUICE_ERR_FORBIDDEN', `"${input.actor.id}" may not start flow "${flow.id}"`);
  }
  const ticket: Ticket = {
    tenant: input.tenant,
    id: input.id,
    flow: { id: flow.id, version: flow.version },
    ...(input.title !== undefined && { title: input.title }),
    state: 'active',
    nodeId: flow.startNodeId,
    visit: 0,
    fields: structuredClone(input.fields ?? {}),
    origin: structuredClone(input.origin),
    todos: [],
    comments: [],
    history: [],
    revision: 0,
    createdAt: now,
    updatedAt: now,
  };
  const d = new Draft(flow, ticket, now);
  d.emit({ type: 'ticket.created', flowId: flow.id, version: flow.version, origin: input.origin.kind });
  d.enter(flow.startNodeId, 'created');
  return d.finish(actorId(input.actor), 'create', flow.startNodeId, { origin: input.origin.kind });
}
