import type {
  FastifyReply,
  FastifyRequest,
  onResponseAsyncHookHandler,
  onSendAsyncHookHandler,
  preHandlerAsyncHookHandler,
  preParsingAsyncHookHandler,
} from 'fastify';
import { pipelinesError } from '../errors.js';
import type { IngestAdmission } from './ingest-admission.js';
import type { IngestRate } from './ingest-rate.js';

/** `Retry-After` of a 503 that names no better time (the bus did not acknowledge), s. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/** Options of {@link ingestGuard}. */
export interface IngestGuardOptions {
  /** The embedded pipeline's admission; absent with Kafka, where an event is safe once the brokers acknowledged it. */
  admission?: IngestAdmission;
  /** Called for each request refused by the admission (the metric of refusals). */
  onRefused?: () => void;
  /** Events per second per API key; absent: no limit. */
  rate?: IngestRate;
  /** Called for each request refused by the rate (429). */
  onRateLimited?: (tenant: string) => void;
}

/**
 * Route hooks of `POST /v1/events` for "accepted means stored": before the handler, the admission admits the
 * request's events whole or answers 503 `SLUICE_ERR_INGEST_BACKLOG` with `Retry-After` (nothing of the request
 * accepted); the room reserved is given back once the answer is sent (the events are published by then, or
 * were refused); and every 503 of the route carries `Retry-After`.
 */
export function ingestGuard(o: IngestGuardOptions): {
  preParsing: preParsingAsyncHookHandler;
  preHandler: preHandlerAsyncHookHandler;
  onSend: onSendAsyncHookHandler;
  onResponse: onResponseAsyncHookHandler;
} {
  const reserved = new WeakMap<FastifyRequest, () => void>();
  const keyOf = (req: FastifyRequest) => `${req.principal.tenant}:${req.principal.keyId}`;
  /** Answers 429 with Retry-After: the key sent more events this second than it may. */
  const limited = (req: FastifyRequest, reply: FastifyReply, seconds: number): never => {
    o.onRateLimited?.(req.principal.tenant);
    void reply.header('retry-after', String(seconds));
    throw pipelinesError(
      'SLUICE_ERR_RATE_LIMITED',
      `more than ${o.rate!.perSec} events a second for this API key (SLUICE_INGEST_EVENTS_PER_SEC); nothing of this request was accepted; retry in ${seconds} s`,
    );
  };
  /** Answers 503 with Retry-After. */
  const refuse = (reply: FastifyReply, a: { retryAfterSeconds: number; pending: number; bound: number }): never => {
    o.onRefused?.();
    void reply.header('retry-after', String(a.retryAfterSeconds));
    throw pipelinesError('SLUICE_ERR_INGEST_BACKLOG', [String(a.pending), String(a.bound), String(a.retryAfterSeconds)], {
      details: { retryAfterSeconds: a.retryAfterSeconds },
    });
  };
  const release = (req: FastifyRequest) => {
    reserved.get(req)?.();
    reserved.delete(req);
  };
  return {
    // A tenant already at its share (or a full pipeline) is refused before its body is read and parsed:
    // a flood of refused requests then costs the server next to nothing.
    async preParsing(req, reply, payload) {
      const wait = await o.rate?.exhausted(keyOf(req));
      if (wait !== undefined) limited(req, reply, wait);
      const refused = o.admission?.check(1, req.principal.tenant);
      if (refused) refuse(reply, refused);
      return payload;
    },
    async preHandler(req: FastifyRequest, reply: FastifyReply) {
      const events = (req.body as { events: unknown[] }).events.length;
      const key = keyOf(req);
      const wait = await o.rate?.take(key, events);
      if (wait !== undefined) limited(req, reply, wait);
      if (!o.admission) return;
      const a = o.admission.tryAdmit(events, req.principal.tenant);
      if (a.admitted) {
        reserved.set(req, a.release);
        return;
      }
      // Refused whole: none of its events count as sent.
      await o.rate?.giveBack(key, events);
      refuse(reply, a);
    },
    async onSend(req, reply, payload) {
      release(req);
      if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
      return payload;
    },
    // onSend runs for every answer sent; this covers a request whose answer could not be sent.
    async onResponse(req) {
      release(req);
    },
  };
}
