/**
 * The workflow role's end of the callback-ticket queue from control instances in other processes:
 * reads requests (a Redis stream through {@link WorkQueue}, or a Kafka topic through the message bus),
 * opens each ticket through {@link callbackTicketsFor} — one ticket per decision id, so a redelivery
 * is a no-op — and acknowledges only once the ticket exists. A request that can never become a ticket
 * (unreadable, invalid, refused for good) is logged with its reason and acknowledged, never blocking the queue.
 */
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../adapters/clock.js';
import type { GroupConsumer } from '../adapters/bus/types.js';
import type { QueueEntry, WorkQueue } from '../adapters/queue/types.js';
import { isSluiceError } from '../core/errors.js';
import { callbackTicketProblem, type CallbackTicketRequest, type CallbackTickets } from '../core/messages.js';

/** What became of one request. */
export type CallbackOutcome = 'created' | 'dead-lettered';

/**
 * Opens the ticket of one queued request.
 * @returns `dead-lettered` when it can never be created (logged with its reason)
 * @throws the create's error when it may succeed later (the request stays unacknowledged)
 */
export async function handleCallbackRequest(body: string, tickets: CallbackTickets, log: Pick<Logger, 'warn'>): Promise<CallbackOutcome> {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    log.warn({ reason: 'not JSON', body: body.slice(0, 200) }, 'workflow: callback ticket request dead-lettered');
    return 'dead-lettered';
  }
  const problem = callbackTicketProblem(request);
  if (problem !== null) {
    log.warn({ reason: problem, body: body.slice(0, 200) }, 'workflow: callback ticket request dead-lettered');
    return 'dead-lettered';
  }
  const r = request as CallbackTicketRequest;
  try {
    await tickets.create(r);
    return 'created';
  } catch (err) {
    if (isSluiceError(err) && !err.retriable) {
      log.warn(
        { reason: `${err.code}: ${err.message}`, decisionId: r.decisionId, tenant: r.tenant },
        'workflow: callback ticket request dead-lettered',
      );
      return 'dead-lettered';
    }
    throw err;
  }
}

/** Options of {@link CallbackQueueConsumer}. */
export interface CallbackQueueConsumerOptions {
  readonly queue: WorkQueue;
  readonly tickets: CallbackTickets;
  /** This instance's name in the consumer group. */
  readonly consumer: string;
  readonly log: Pick<Logger, 'warn'>;
  readonly clock?: Clock;
  /** Entries per read (default 50). */
  readonly batch?: number;
  /** Longest a read waits for new entries, ms (default 1000; also bounds how long stop waits). */
  readonly waitMs?: number;
  /** Pause after a failed read, ms (default 1000). */
  readonly retryMs?: number;
}

/** Reads the queue in a loop until stopped; see the module comment. */
export class CallbackQueueConsumer {
  readonly #o: CallbackQueueConsumerOptions;
  readonly #clock: Clock;
  #loop: Promise<void> | undefined;
  #stopped = false;
  #counts = { created: 0, deadLettered: 0, failures: 0 };

  constructor(options: CallbackQueueConsumerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Requests turned into tickets, dead-lettered, and failed (left for redelivery). */
  stats(): { created: number; deadLettered: number; failures: number } {
    return { ...this.#counts };
  }

  /** Starts reading. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Finishes the entries in hand and stops; what is left pending is redelivered after the claim time. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const { queue, tickets, consumer, log } = this.#o;
    while (!this.#stopped) {
      let entries: QueueEntry[];
      try {
        entries = await queue.read(consumer, this.#o.batch ?? 50, this.#o.waitMs ?? 1_000);
      } catch (err) {
        if (this.#stopped) return;
        log.warn({ err: (err as Error).message }, 'workflow: reading callback ticket requests failed');
        await this.#sleep(this.#o.retryMs ?? 1_000);
        continue;
      }
      for (const e of entries) {
        try {
          const outcome = await handleCallbackRequest(e.body, tickets, log);
          if (outcome === 'created') this.#counts.created += 1;
          else this.#counts.deadLettered += 1;
          await queue.ack(e.id);
        } catch (err) {
          // Not acknowledged: the queue hands it out again after its claim time.
          this.#counts.failures += 1;
          log.warn({ err: (err as Error).message, entry: e.id }, 'workflow: callback ticket not created yet');
        }
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#clock.setTimeout(resolve, ms));
  }
}

/**
 * Starts a Kafka group consumer on the callback-ticket topic: each message's ticket is created
 * (retried every `retryMs` while it fails and the partition is still ours), then its offset committed.
 */
export async function consumeCallbackTopic(
  consumer: GroupConsumer,
  tickets: CallbackTickets,
  log: Pick<Logger, 'warn'>,
  clock: Clock = systemClock,
  retryMs = 1_000,
): Promise<void> {
  await consumer.start(async (batch, ctl) => {
    for (const m of batch.messages) {
      for (;;) {
        if (ctl.isStale()) return;
        try {
          await handleCallbackRequest(m.value.toString('utf8'), tickets, log);
          break;
        } catch (err) {
          log.warn({ err: (err as Error).message, offset: m.offset }, 'workflow: callback ticket not created yet');
          await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), retryMs));
        }
      }
      await consumer.commit(batch.topic, batch.partition, m.offset + 1);
    }
  });
}
