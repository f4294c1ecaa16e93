import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../adapters/clock.js';
import { decodeValue, DEFAULT_DECODE_LIMITS } from '../decode.js';
import type { TelemetryEvent } from '../events/types.js';
import type { EventPublisher } from '../publisher.js';
import type { DeadLetterSink } from '../dead-letters.js';
import type { DeadLetter } from '../store/types.js';
import { invalidRequest, pipelinesError } from '../errors.js';
import { ingestGuard, type IngestGuardOptions } from './ingest-guard.js';

/**
 * The bytes kept in a refused event's dead letter: its JSON text, or, for a value too deeply nested to
 * encode again (the body was parsed, its text is gone), a note saying so — never a throw, which would
 * lose the batch's good events with it.
 */
function payloadOf(value: unknown): Buffer {
  try {
    return Buffer.from(JSON.stringify(value));
  } catch (err) {
    return Buffer.from(JSON.stringify({ unkept: `the event could not be encoded again: ${(err as Error).message}` }));
  }
}

/** Where ingest counts what it dead-letters (the app's `Metrics` fits). */
export interface IngestMetrics {
  readonly deadLettered: { inc(labels: { source: string; reason: string }): void };
}

/** Options of {@link ingestRoutes}. */
export interface IngestRoutesOptions {
  publisher: EventPublisher;
  deadLetters: DeadLetterSink;
  clock: Clock;
  metrics: IngestMetrics;
  guard?: IngestGuardOptions;
}

/** Largest number of events in one `POST /v1/events`. */
export const MAX_EVENTS_PER_REQUEST = 5000;

/**
 * `POST /v1/events`: batches of normalized events for collectors without Kafka. Events that fail
 * validation go to the dead-letter sink with their reason and are listed in the answer; the rest are
 * published to the bus. An event for another tenant than the key's refuses the whole request.
 */
export async function ingestRoutes(app: FastifyInstance, opts: IngestRoutesOptions): Promise<void> {
  app.post<{ Body: { events: unknown[] } }>(
    '/v1/events',
    {
      config: { access: { roles: ['admin'], action: 'ingest events' } },
      // Accepted means stored: admitted whole or refused whole (503, Retry-After) before any of it is handled.
      ...ingestGuard(opts.guard ?? {}),
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['events'],
          properties: { events: { type: 'array', minItems: 1, maxItems: MAX_EVENTS_PER_REQUEST, items: { type: 'object' } } },
        },
      },
    },
    async (req, reply) => {
      const now = opts.clock.now();
      const { tenant } = req.principal;
      const accepted: TelemetryEvent[] = [];
      const dead: DeadLetter[] = [];
      const rejected: { index: number; reason: string }[] = [];
      req.body.events.forEach((value, index) => {
        const t = (value as { tenant?: unknown }).tenant;
        if (tenant !== '*' && t !== tenant) {
          throw invalidRequest(`body.events.${index}.tenant`, `body.events.${index}.tenant must be the key's tenant (${tenant})`);
        }
        const d = decodeValue(value, now, DEFAULT_DECODE_LIMITS);
        if (d.ok) {
          accepted.push(d.event);
          return;
        }
        rejected.push({ index, reason: d.reason });
        dead.push({
          tenant: typeof t === 'string' ? t.slice(0, 64) : '',
          source: 'http',
          code: d.code,
          reason: d.reason,
          payload: payloadOf(value),
          origin: `http:${req.id}:${index}`,
          receivedAt: now,
        });
      });
      if (dead.length > 0) {
        try {
          await opts.deadLetters.write(dead, `http:${req.id}`);
        } catch (err) {
          throw pipelinesError('SLUICE_ERR_UNAVAILABLE', 'the dead-letter sink is unavailable', { cause: err });
        }
        for (const d of dead) opts.metrics.deadLettered.inc({ source: 'http', reason: d.code });
      }
      if (accepted.length > 0) {
        try {
          await opts.publisher.publish(accepted);
        } catch (err) {
          throw pipelinesError('SLUICE_ERR_UNAVAILABLE', 'the event bus is unavailable', { cause: err });
        }
      }
      return reply.status(202).send({ accepted: accepted.length, rejected });
    },
  );
}
