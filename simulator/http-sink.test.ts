import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { HttpIngestSink, isHttpSinkError } from './http-sink.js';

const event = (i: number): TelemetryEvent => ({
  v: 1,
  tenant: 'acme',
  source: 'skillgroup',
  id: `e${i}`,
  ts: 1_768_204_800_000 + i,
  body: { skillGroup: 'sales', callId: `c${i}`, type: 'OFFERED' },
});

interface Seen {
  auth: string | undefined;
  count: number;
}

/** A stand-in for Sluice's ingest route: answers each request with `answer(n)` (n counts from 1). */
async function server(
  answer: (n: number, events: TelemetryEvent[]) => { status: number; body: unknown; headers?: Record<string, string> },
): Promise<{ app: FastifyInstance; url: string; seen: Seen[] }> {
  const app = Fastify();
  const seen: Seen[] = [];
  app.post<{ Body: { events: TelemetryEvent[] } }>('/v1/events', async (req, reply) => {
    seen.push({ auth: req.headers.authorization, count: req.body.events.length });
    const a = answer(seen.length, req.body.events);
    return reply
      .status(a.status)
      .headers(a.headers ?? {})
      .send(a.body);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, seen };
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('HttpIngestSink', () => {
  it('counts a 422 "nothing accepted" as every event rejected, without retrying, and goes on with the next batch', async () => {
    const s = await server((n, events) =>
      n === 1
        ? {
            status: 422,
            body: {
              error: {
                code: 'SLUICE_ERR_EVENTS_REJECTED',
                message: 'none of the 2 events was accepted: …',
                retriable: false,
                accepted: 0,
                rejected: events.map((_, index) => ({ index, reason: `bad ${index}` })),
              },
            },
          }
        : { status: 202, body: { accepted: events.length, rejected: [] } },
    );
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'k', batchSize: 2 });
    await sink.send([event(1), event(2), event(3)]);
    expect(s.seen.map((x) => x.count)).toEqual([2, 1]);
    expect([sink.accepted, sink.rejected, sink.retries]).toEqual([1, 2, 0]);
    expect(sink.rejections).toEqual([
      { id: 'e1', reason: 'bad 0' },
      { id: 'e2', reason: 'bad 1' },
    ]);
  });

  it('posts batches of at most 1000 events with the API key, in order', async () => {
    const received: string[] = [];
    const s = await server((_, events) => {
      received.push(...events.map((e) => e.id));
      return { status: 202, body: { accepted: events.length, rejected: [] } };
    });
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'k-admin' });
    const events = Array.from({ length: 2500 }, (_, i) => event(i));
    await sink.send(events);
    expect(s.seen).toEqual([
      { auth: 'Bearer k-admin', count: 1000 },
      { auth: 'Bearer k-admin', count: 1000 },
      { auth: 'Bearer k-admin', count: 500 },
    ]);
    expect(received).toEqual(events.map((e) => e.id));
    expect(sink.accepted).toBe(2500);
  });

  it('retries server errors with backoff, then succeeds', async () => {
    const s = await server((n, events) =>
      n <= 2 ? { status: 503, body: { error: 'bus down' } } : { status: 202, body: { accepted: events.length, rejected: [] } },
    );
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'k', backoffMs: 1 });
    await sink.send([event(1), event(2)]);
    expect(s.seen.map((x) => x.count)).toEqual([2, 2, 2]);
    expect(sink).toMatchObject({ requests: 3, retries: 2, accepted: 2 });
  });

  it('waits as Retry-After asks (ingest backpressure, rate limits) without spending its retries, then sends the same request', async () => {
    const s = await server((n, events) =>
      n <= 8
        ? { status: n % 2 ? 503 : 429, headers: { 'retry-after': '0' }, body: { error: { code: 'SLUICE_ERR_INGEST_BACKLOG' } } }
        : { status: 202, body: { accepted: events.length, rejected: [] } },
    );
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'k', backoffMs: 1, retries: 1 });
    await sink.send([event(1), event(2)]);
    expect(s.seen.map((x) => x.count)).toEqual(Array(9).fill(2));
    expect(sink).toMatchObject({ requests: 9, retries: 0, backpressured: 8, accepted: 2 });
    // Told to wait longer than it may: it gives up, saying a later try may pass.
    const busy = await server(() => ({ status: 503, headers: { 'retry-after': '1' }, body: {} }));
    const impatient = new HttpIngestSink({ url: busy.url, apiKey: 'k', backoffMs: 1, retries: 0, maxBackpressureWaitMs: 100 });
    const err = await impatient.send([event(3)]).catch((e: unknown) => e);
    await busy.app.close();
    expect(isHttpSinkError(err) && err.status === 503 && err.retriable).toBe(true);
    expect(impatient.backpressured).toBe(1);
  });

  it('gives up after the retries, saying the failure may pass', async () => {
    const s = await server(() => ({ status: 500, body: {} }));
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'k', backoffMs: 1, retries: 2 });
    const err = await sink.send([event(1)]).catch((e: unknown) => e);
    expect(isHttpSinkError(err) && err.status === 500 && err.retriable).toBe(true);
    expect(s.seen.length).toBe(3);
  });

  it('does not retry a client error', async () => {
    const s = await server(() => ({ status: 401, body: { code: 'SLUICE_ERR_UNAUTHENTICATED' } }));
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'wrong', backoffMs: 1 });
    const err = await sink.send([event(1)]).catch((e: unknown) => e);
    expect(isHttpSinkError(err) && err.status === 401 && !err.retriable).toBe(true);
    expect((err as Error).message).toContain('SLUICE_ERR_UNAUTHENTICATED');
    expect(s.seen.length).toBe(1);
  });

  it('counts the events the server refused, with their reasons', async () => {
    const s = await server((_, events) => ({
      status: 202,
      body: { accepted: events.length - 1, rejected: [{ index: 1, reason: 'schema: body.waitMs must be integer' }] },
    }));
    app = s.app;
    const sink = new HttpIngestSink({ url: s.url, apiKey: 'k' });
    await sink.send([event(1), event(2), event(3)]);
    expect(sink).toMatchObject({ accepted: 2, rejected: 1, rejections: [{ id: 'e2', reason: 'schema: body.waitMs must be integer' }] });
  });

  it('retries network failures, and refuses a batch size above 1000', async () => {
    const s = await server(() => ({ status: 202, body: {} }));
    const url = s.url;
    await s.app.close(); // nothing listens any more
    const sink = new HttpIngestSink({ url, apiKey: 'k', backoffMs: 1, retries: 1 });
    const err = await sink.send([event(1)]).catch((e: unknown) => e);
    expect(isHttpSinkError(err) && err.status === 0 && err.retriable).toBe(true);
    expect(sink.requests).toBe(2);
    expect(() => new HttpIngestSink({ url, apiKey: 'k', batchSize: 1001 })).toThrow(/batchSize/);
  });
});
