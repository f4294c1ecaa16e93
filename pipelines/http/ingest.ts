import { Ajv } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../adapters/clock.js';
import { decodeValue, DEFAULT_DECODE_LIMITS } from '../decode.js';
import type { TelemetryEvent } from '../events/types.js';
import type { EventPublisher } from '../publisher.js';
import type { DeadLetterSink } from '../dead-letters.js';
import type { DeadLetter } from '../store/types.js';
import { invalidRequest, pipelinesError } from '../errors.js';
import { ingestGuard, type IngestGuardOptions } from './ingest-guard.js';
import { INGEST_BODY_DOC, INGEST_RESPONSES, MAX_EVENTS_PER_REQUEST } from './ingest-schema.js';

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

export { MAX_EVENTS_PER_REQUEST };

/**
 * What the route checks of the body before its handler: the envelope only (an object holding `events`, 1 to
 * {@link MAX_EVENTS_PER_REQUEST} objects). Each event is checked on its own by the handler, so one bad event
 * is dead-lettered while the rest of the batch is stored; the API document shows the full schema of each
 * ({@link INGEST_BODY_DOC}).
 */
const ENVELOPE = {
  type: 'object',
  additionalProperties: false,
  required: ['events'],
  properties: { events: { type: 'array', minItems: 1, maxItems: MAX_EVENTS_PER_REQUEST, items: { type: 'object' } } },
} as const;
const envelopeAjv = new Ajv({ allErrors: false, coerceTypes: 'array', removeAdditional: false });
const validateEnvelope = envelopeAjv.compile(ENVELOPE);

/** At most this many reasons are spelled out in a 422's message (all are in its `rejected`). */
const REASONS_IN_MESSAGE = 3;

/**
 * `POST /v1/events`: batches of normalized events for collectors without Kafka. Events that fail
 * validation go to the dead-letter sink with their reason and are listed in the answer; the rest are
 * published to the bus (202). A batch of which nothing is accepted answers 422
 * `SLUICE_ERR_EVENTS_REJECTED` naming the reasons (its events dead-lettered all the same). An event for
 * another tenant than the key's refuses the whole request (400).
 */
export async function ingestRoutes(app: FastifyInstance, opts: IngestRoutesOptions): Promise<void> {
  app.post<{ Body: { events: unknown[] } }>(
    '/v1/events',
    {
      config: { access: { roles: ['admin'], action: 'ingest events' } },
      // Accepted means stored: admitted whole or refused whole (503, Retry-After) before any of it is handled.
      ...ingestGuard(opts.guard ?? {}),
      schema: {
        summary: 'Send a batch of normalized events',
        description:
          'Telemetry from a PBX, ACD or collector: 1 to 5,000 events of the key’s tenant, each checked on its own. Every event that passes is stored; every one that fails is dead-lettered with its reason and listed in `rejected`. Ids make sending again safe: an event is stored once per id. Times are epoch milliseconds. See docs/integration/events.md.',
        tags: ['ingest'],
        body: INGEST_BODY_DOC,
        response: INGEST_RESPONSES,
      },
      // Only the envelope is checked before the handler: the documented schema of each event is applied per event.
      validatorCompiler: () => validateEnvelope,
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
      if (accepted.length === 0) {
        const shown = rejected
          .slice(0, REASONS_IN_MESSAGE)
          .map((r) => `body.events.${r.index}: ${r.reason}`)
          .join('; ');
        const more = rejected.length > REASONS_IN_MESSAGE ? `; and ${rejected.length - REASONS_IN_MESSAGE} more (see rejected)` : '';
        throw pipelinesError('SLUICE_ERR_EVENTS_REJECTED', [String(rejected.length), `${shown}${more}`], {
          details: { accepted: 0, rejected },
        });
      }
      return reply.status(202).send({ accepted: accepted.length, rejected });
    },
  );
}
