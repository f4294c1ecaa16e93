import type { FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { eventually } from '../core/testing/eventually.js';
import { storeDeadLetters } from '../pipelines/dead-letters.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../pipelines/store/memory.js';
import { MemoryHistory } from '../workflow/history/memory.js';
import { createHarness } from '../workflow/testing/harness.js';
import { parseApiKeys } from './config.js';
import { Metrics } from './metrics.js';
import { buildServer, closeServer, type ServerDeps } from './server.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ADMIN = 'limits-default-admin-0001';
const AGENT = 'limits-default-agent-0001';

const event = (id: string, body: Record<string, unknown> = {}) => ({
  v: 1,
  tenant: 'default',
  source: 'skillgroup',
  id,
  ts: NOW - 1_000,
  body: { skillGroup: 'sales', callId: id, type: 'OFFERED', ...body },
});
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

async function server(over: Partial<ServerDeps['config']> = {}, lines: string[] = []) {
  const bus = new MemoryBus();
  await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
  const store = new MemoryTelemetryStore();
  const publisher = new EventPublisher(await bus.producer());
  const metrics = new Metrics();
  const h = createHarness(NOW);
  const app = await buildServer({
    config: {
      apiKeys: parseApiKeys(`${ADMIN}:default:admin,${AGENT}:default:agent`),
      open: false,
      bodyLimitBytes: 1 << 20,
      logLevel: 'info',
      ...over,
    },
    clock: new ManualClock(NOW),
    metrics,
    realtime: new RealtimeState(),
    pipelines: { store, publisher, deadLetters: storeDeadLetters(store) },
    checks: new Map(),
    state: () => 'running',
    workflow: { engine: h.engine, catalog: h.flows, clock: h.clock, timers: h.timers, history: new MemoryHistory() },
    logger: { level: 'info', stream: { write: (l: string) => lines.push(l) } },
  });
  apps.push(app);
  return { app, publisher, store, metrics };
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('JSON bodies nested too deep', () => {
  it('refuse the whole batch on POST /v1/events with 400 naming where, storing nothing', async () => {
    const { app, publisher, store, metrics } = await server();
    const body = `{"events":[${JSON.stringify(event('good'))},${JSON.stringify(event('bad')).replace('"type":"OFFERED"', `"type":"OFFERED","x":${nested(10_000)}`)}]}`;
    const r = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: body,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'body.events.1.body.x.0.0.0.0.0.0.0.0.…' });
    expect(r.json().error.message).toContain('deeper than 64 levels');
    expect(publisher.published).toBe(0);
    expect(await store.deadLetters(100)).toEqual([]);
    expect(await metrics.registry.getSingleMetricAsString('sluice_server_limit_hits_total')).toContain('{limit="json_depth"} 1');
    // The same batch within the limit is taken.
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { events: [event('good'), event('fine', { x: JSON.parse(nested(50)) })] },
    });
    expect(ok.statusCode, ok.body).toBe(202);
  });

  it('refuse ticket fields nested 3000 deep on POST /v1/tickets (400, not 500), and the limit is configurable', async () => {
    const { app } = await server();
    const payload = `{"flowId":"fee-reduction","fields":{"amount":1,"notes":${nested(3_000)}}}`;
    const r = await app.inject({
      method: 'POST',
      url: '/v1/tickets',
      headers: { authorization: `Bearer ${AGENT}`, 'content-type': 'application/json' },
      payload,
    });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'body.fields.notes.0.0.0.0.0.0.0.0.0.0.…' });
    const tight = (await server({ jsonMaxDepth: 8 })).app;
    const shallow = await tight.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { events: [event('e', { x: JSON.parse(nested(6)) })] },
    });
    expect(shallow.json().error).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', field: 'body.events.0.body.x.0.0.0.0' });
  });

  it("keep fastify's prototype-poisoning protection", async () => {
    const { app } = await server();
    const r = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: '{"events":[{"__proto__":{"admin":true}}]}',
    });
    expect(r.statusCode).toBe(400);
    const empty = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
  });
});

describe('the log line of a refused request', () => {
  it('has one msg, with the reason under its own key', async () => {
    const lines: string[] = [];
    const { app } = await server({}, lines);
    await app.inject({ url: '/metrics', headers: { 'x-api-key': 'not-a-key-of-this-sluice' } });
    const refused = lines.filter((l) => l.includes('request refused'));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.match(/"msg":/g)).toHaveLength(1);
    expect(JSON.parse(refused[0]!)).toMatchObject({
      msg: 'request refused',
      code: 'SLUICE_ERR_UNAUTHENTICATED',
      reason: 'unknown API key',
    });
  });
});

describe('connections', () => {
  it('are capped: beyond SLUICE_MAX_CONNECTIONS a new one is dropped and counted, and served again once others close', async () => {
    const { app, metrics } = await server({ maxConnections: 3 });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(url);
    const idle: Socket[] = [];
    for (let i = 0; i < 3; i++)
      idle.push(
        await new Promise<Socket>((r) => {
          const s = connect(Number(port), '127.0.0.1', () => r(s));
        }),
      );
    const connections = () => new Promise<number>((r) => app.server.getConnections((_e, n) => r(n)));
    await eventually(connections, (n) => n >= 3, 'the three idle connections', { timeoutMs: 1_000, intervalMs: 10 });
    // One more: closed before any byte of an answer.
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      const s = connect(Number(port), '127.0.0.1', () => s.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-API-Key: ${ADMIN}\r\n\r\n`));
      s.on('data', (d) => {
        got += d.toString();
        s.destroy();
      });
      s.on('error', () => {});
      s.on('close', () => resolve(got));
    });
    expect(answer).toBe('');
    expect(await metrics.registry.getSingleMetricAsString('sluice_server_limit_hits_total')).toMatch(/\{limit="connections"\} [1-9]/);
    for (const s of idle) s.destroy();
    await eventually(connections, (n) => n === 0, 'every connection closed', { timeoutMs: 1_000, intervalMs: 10 });
    expect((await fetch(`${url}/healthz`, { headers: { 'x-api-key': ADMIN } })).status).toBe(200);
  });

  it('have header, request and keep-alive timeouts from the configuration', async () => {
    const { app } = await server({ headersTimeoutMs: 5_000, requestTimeoutMs: 9_000, keepAliveTimeoutMs: 61_000 });
    expect([app.server.headersTimeout, app.server.requestTimeout, app.server.keepAliveTimeout]).toEqual([5_000, 9_000, 61_000]);
    const defaults = (await server()).app.server;
    expect([defaults.headersTimeout, defaults.requestTimeout, defaults.keepAliveTimeout, defaults.maxConnections]).toEqual([
      20_000, 60_000, 72_000, 10_000,
    ]);
  });
});

describe('closing the server', () => {
  it('does not wait past its grace for a client that never finishes its request, nor for a stream client that stops reading', async () => {
    const { app } = await server();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    // A request whose body never comes (its headers promise 1000 bytes), and a stream client that reads nothing.
    const slow: Socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write(
      `POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"events":[`,
    );
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream?key=${ADMIN}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.pause();
    const closedSlow = new Promise<void>((r) => slow.once('close', () => r()));
    const closedWs = new Promise<void>((r) => ws.once('close', () => r()));
    // Plain app.close() would wait for both (the request for its 60 s timeout, the socket for ever).
    await closeServer(app, 200);
    // The server let go of both: the stream client learns it once it reads again.
    ws.resume();
    await Promise.all([closedSlow, closedWs]);
    expect(app.server.listening).toBe(false);
  });
});
