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
 * The intent and IVR trajectory the route request carried take part in choosing the flow (a
 * trigger `{ diversion: callback, intent: fee_dispute }` outranks the plain `{ diversion: callback }`)
 * and are kept on the ticket: in its origin, and as the fields `intent` and `ivrTrajectory` for the
 * agent calling back and for the flow's conditions.
 *
 * `createWorkflow` exposes it as `callbackTickets`; the composition root hands that to control:
 * @example createControl({ ...options, callbackTickets: workflow.callbackTickets });
 */
export function callbackTicketsFor(engine: WorkflowEngine): CallbackTickets {
  return {
    async create(r: CallbackTicketRequest): Promise<void> {
      const intent = r.intent ? r.intent : undefined;
      const trajectory = r.ivrTrajectory !== undefined && r.ivrTrajectory.length > 0 ? r.ivrTrajectory : undefined;
      try {
        await engine.createFromDiversion({
          tenant: r.tenant,
          callId: r.callId,
          channel: 'callback',
          skillGroup: r.skillGroup,
          ...(intent !== undefined && { intent }),
          ...(trajectory !== undefined && { trajectory }),
          id: callbackTicketId(r.decisionId),
          title: `Call back ${r.callId} (${r.skillGroup}, ${r.priority})`,
          fields: {
            callId: r.callId,
            skillGroup: r.skillGroup,
            priority: r.priority,
            reason: r.reason,
            decisionId: r.decisionId,
            ...(intent !== undefined && { intent }),
            ...(trajectory !== undefined && { ivrTrajectory: [...trajectory] }),
          },
        });
      } catch (err) {
        if (!isSluiceError(err, 'SLUICE_ERR_TICKET_EXISTS')) throw err;
      }
    },
  };
}
