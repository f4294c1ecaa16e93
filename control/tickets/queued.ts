/**
 * Callback tickets for a workflow service in another process: each request is written to a durable
 * queue (a Kafka topic or a Redis stream, chosen by the composition root) that the workflow role reads.
 */
import type { CallbackTicketRequest, CallbackTickets } from '../../core/messages.js';

/** Writes one request; resolves once the broker or Redis accepted it, rejects when it did not. */
export type TicketSend = (key: string, body: string) => Promise<void>;

/**
 * The {@link CallbackTickets} port over a durable queue. A rejected send rejects `create`, so the
 * {@link TicketDispatcher}'s retries apply; a request sent twice (a retry after a lost answer) is
 * harmless: the workflow side creates one ticket per decision id.
 */
export class QueuedCallbackTickets implements CallbackTickets {
  readonly #send: TicketSend;

  /** @param send writes one request, keyed by decision id */
  constructor(send: TicketSend) {
    this.#send = send;
  }

  /** {@inheritDoc CallbackTickets.create} */
  async create(request: CallbackTicketRequest): Promise<void> {
    await this.#send(request.decisionId, JSON.stringify(request));
  }
}
