import { createHash } from 'node:crypto';
import { isSluiceError } from '../core/errors.js';
import type { CallbackTicketRequest, CallbackTickets } from '../core/messages.js';
import type { WorkflowEngine } from './engine/engine.js';

/** Ticket id of a decision: readable when the decision id is a plain token, hashed otherwise. */
export function callbackTicketId(decisionId: string): string {
  return /^[A-Za-z0-9._:-]{1,120}$/.test(decisionId)
    ? `cb-${decisionId}`
    : `cb-${createHash('sha256').update(decisionId).digest('hex').slice(0, 32)}`;
}

/**
 * The control loop's way into the workflow service: each diverted caller becomes a ticket
 * on the tenant's flow triggered by the `callback` diversion, with a ticket id derived from
 * the decision id, so reporting one decision twice (a retry, a replay) makes one ticket.
 *
 * `createWorkflow` exposes it as `callbackTickets`; the composition root hands that to control:
 * @example createControl({ ...options, callbackTickets: workflow.callbackTickets });
 */
export function callbackTicketsFor(engine: WorkflowEngine): CallbackTickets {
  return {
    async create(r: CallbackTicketRequest): Promise<void> {
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
        if (!isSluiceError(err, 'SLUICE_ERR_TICKET_EXISTS')) throw err;
      }
    },
  };
}
