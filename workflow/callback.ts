import { createHash } from 'node:crypto';
import type { WorkflowEngine } from './engine/engine.js';
import { isWorkflowError } from './errors.js';

/** A caller the control loop diverted to a callback, as the control room reports it. */
export interface CallbackRequest {
  readonly tenant: string;
  readonly callId: string;
  readonly skillGroup: string;
  /** Caller priority class (`vip`, `high`, `normal`, `low`). */
  readonly priority: string;
  /** Why the call was diverted (level, breaker), for the agent calling back. */
  readonly reason: string;
  /** Id of the routing decision; one ticket per decision however often it is reported. */
  readonly decisionId: string;
}

/** The control room's `CallbackTickets` port, structurally. */
export interface CallbackTickets {
  /** Opens the callback ticket of one routing decision; a repeat of the same decision is a no-op. */
  create(request: CallbackRequest): Promise<void>;
}

/** Ticket id of a decision: readable when the decision id is a plain token, hashed otherwise. */
export function callbackTicketId(decisionId: string): string {
  return /^[A-Za-z0-9._:-]{1,120}$/.test(decisionId) ? `cb-${decisionId}` : `cb-${createHash('sha256').update(decisionId).digest('hex').slice(0, 32)}`;
}

/**
 * The control loop's way into the workflow service: each diverted caller becomes a ticket
 * on the tenant's flow triggered by the `callback` diversion, with a ticket id derived from
 * the decision id, so reporting one decision twice (a retry, a replay) makes one ticket.
 *
 * @example control.setCallbackTickets(callbackTicketsFor(workflow.engine));
 */
export function callbackTicketsFor(engine: WorkflowEngine): CallbackTickets {
  return {
    async create(r: CallbackRequest): Promise<void> {
      try {
        await engine.createFromDiversion({
          tenant: r.tenant,
          callId: r.callId,
          channel: 'callback',
          skillGroup: r.skillGroup,
          id: callbackTicketId(r.decisionId),
          title: `Call back ${r.callId} (${r.skillGroup}, ${r.priority})`,
          fields: { callId: r.callId, skillGroup: r.skillGroup, priority: r.priority, reason: r.reason, decisionId: r.decisionId },
        });
      } catch (err) {
        if (!isWorkflowError(err, 'SLUICE_ERR_TICKET_EXISTS')) throw err;
      }
    },
  };
}
