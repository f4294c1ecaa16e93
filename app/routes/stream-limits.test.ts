import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock } from '../../adapters/clock.js';
import { eventually } from '../../core/testing/eventually.js';
import { storeDeadLetters } from '../../pipelines/dead-letters.js';
import { EventPublisher } from '../../pipelines/publisher.js';
import { RealtimeState } from '../../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../../pipelines/store/memory.js';
import { parseApiKeys } from '../config.js';
import { Metrics } from '../metrics.js';
import { authPlugin } from '../plugins/auth.js';
import { errorsPlugin } from '../plugins/errors.js';
import { buildServer, WEBSOCKET_OPTIONS, type ServerDeps } from '../server.js';
import { streamRoutes, type StreamLimit, type StreamOptions } from './stream.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ACME = 'limits-acme-viewer-key-01';
const ACME_2 = 'limits-acme-viewer-key-02';
const GLOBEX = 'limits-globex-viewer-key1';
const PLATFORM = 'limits-platform-viewer-01';
const KEYS = parseApiKeys(`${ACME}:acme:viewer,${ACME_2}:acme:viewer,${GLOBEX}:globex:viewer,${PLATFORM}:*:viewer`);

const offered = (tenant: string, callId: string, skillGroup = 'sales') => ({
  v: 1 as const,
  tenant,
  source: 'skillgroup' as const,
  id: callId,
  ts: NOW - 1_000,
  body: { skillGroup, callId, type: 'OFFERED' as const },
});

/** The stream with the app's shared plugins and WebSocket options, and the limits under test. */
async function streamApp(realtime: RealtimeState, opts: Partial<StreamOptions> = {}): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(websocket, { options: WEBSOCKET_OPTIONS });
  await app.register(errorsPlugin);
  await app.register(authPlugin, { keys: KEYS, open: false });
  await app.register(streamRoutes, { realtime, clock: new ManualClock(NOW), ...opts });
  await app.ready();
  return app;
}

/** Every skill-group name pushed to a socket so far. */
function pushes(ws: WebSocket): Set<string> {
  const seen = new Set<string>();
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as { type: string; skillGroups?: { skillGroup: string }[] };
    for (const g of m.skillGroups ?? []) seen.add(g.skillGroup);
  });
  return seen;
}

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

describe('GET /v1/stream: refused before the upgrade', () => {
  it('caps the streams of one key (429) and of the server (503), and frees a slot when a stream closes', async () => {
    const app = await streamApp(new RealtimeState(), { maxPerKey: 2, maxConnections: 3 });
    apps.push(app);
    const a1 = await app.injectWS(`/v1/stream?key=${ACME}`);
    const a2 = await app.injectWS(`/v1/stream?key=${ACME}`);
    await expect(app.injectWS(`/v1/stream?key=${ACME}`)).rejects.toThrow(/429/);
    const probe = await app.inject({ url: '/v1/stream', headers: { 'x-api-key': ACME } });
    expect(probe.statusCode).toBe(429);
    expect(probe.headers['retry-after']).toBe('30');
    expect(probe.json().error).toMatchObject({ code: 'SLUICE_ERR_TOO_MANY_STREAMS', retriable: true });

    // Another key of the same tenant has its own count, up to the server's cap.
    const b1 = await app.injectWS(`/v1/stream?key=${ACME_2}`);
    await expect(app.injectWS(`/v1/stream?key=${GLOBEX}`)).rejects.toThrow(/503/);
    expect((await app.inject({ url: '/v1/stream', headers: { 'x-api-key': GLOBEX } })).json().error).toMatchObject({
      code: 'SLUICE_ERR_UNAVAILABLE',
      retriable: true,
    });

    a1.terminate();
    await eventually(() => app.websocketServer.clients.size === 2, 'the slot to be given back');
    const again = await app.injectWS(`/v1/stream?key=${GLOBEX}`);
    for (const ws of [a2, b1, again]) ws.terminate();
  });

  it("answers another tenant's stream with 404 before the upgrade; a plain GET runs the same checks", async () => {
    const app = await streamApp(new RealtimeState());
    apps.push(app);
    await expect(app.injectWS(`/v1/stream?key=${ACME}&tenant=globex`)).rejects.toThrow(/404/);
    const other = await app.inject({ url: '/v1/stream?tenant=globex', headers: { 'x-api-key': ACME } });
    expect(other.statusCode).toBe(404);
    expect(other.json().error).toMatchObject({ code: 'SLUICE_ERR_NOT_FOUND', message: 'tenant globex not found' });
    expect(app.websocketServer.clients.size).toBe(0);
    // Accepted checks: a plain GET says an upgrade is needed, and the upgrade opens.
    const own = await app.inject({ url: '/v1/stream?tenant=acme', headers: { 'x-api-key': ACME } });
    expect(own.statusCode).toBe(426);
    expect(own.json().error.code).toBe('SLUICE_ERR_UPGRADE_REQUIRED');
    (await app.injectWS(`/v1/stream?key=${ACME}&tenant=acme`)).terminate();
    (await app.injectWS(`/v1/stream?key=${PLATFORM}&tenant=globex`)).terminate();
  });
});

describe('GET /v1/stream: abusive clients', () => {
  it('closes a client flooding junk frames without reading (1008); another tenant keeps its pushes and /healthz', async () => {
    const realtime = new RealtimeState();
    realtime.apply(offered('acme', 'c1'), NOW);
    const metrics = new Metrics();
    const bus = new MemoryBus();
    const store = new MemoryTelemetryStore();
    const deps: ServerDeps = {
      config: { apiKeys: KEYS, open: false, bodyLimitBytes: 65536, logLevel: 'silent' },
      clock: new ManualClock(NOW),
      metrics,
      realtime,
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      state: () => 'running',
      logger: false,
    };
    const app = await buildServer(deps);
    apps.push(app);
    const url = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');

    const victim = new WebSocket(`${url}/v1/stream?key=${ACME}`);
    const seen = pushes(victim);
    await eventually(() => seen.has('sales'), "the victim's first push");

    const attacker = new WebSocket(`${url}/v1/stream?key=${GLOBEX}`);
    await new Promise((r) => attacker.once('open', r));
    const closed = new Promise<number>((r) => attacker.once('close', (code) => r(code)));
    attacker.pause(); // sends, never reads
    const junk = 'x'.repeat(4000);
    for (let i = 0; i < 2_000; i++) attacker.send(junk);
    attacker.resume();
    expect(await closed).toBe(1008);

    const health = await fetch(`${url.replace('ws', 'http')}/healthz`, { headers: { 'x-api-key': ACME } });
    expect(health.status).toBe(200);
    realtime.apply(offered('acme', 'c2', 'after-the-flood'), NOW);
    await eventually(() => seen.has('after-the-flood'), 'a push to the victim after the flood');
    expect(victim.readyState).toBe(WebSocket.OPEN);
    expect(await metrics.registry.getSingleMetricAsString('sluice_server_limit_hits_total')).toContain(
      'sluice_server_limit_hits_total{limit="stream_rate"} 1',
    );
    victim.close();
  });

  it('closes a client that sends binary frames (1003) or frames over 4 KiB, counting both', async () => {
    const app = await streamApp(new RealtimeState());
    apps.push(app);
    const ws = await app.injectWS(`/v1/stream?key=${ACME}`);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    expect(await closed).toBe(1003);

    const metrics = new Metrics();
    const store = new MemoryTelemetryStore();
    const server = await buildServer({
      config: { apiKeys: KEYS, open: false, bodyLimitBytes: 65536, logLevel: 'silent' },
      clock: new ManualClock(NOW),
      metrics,
      realtime: new RealtimeState(),
      pipelines: { store, publisher: new EventPublisher(await new MemoryBus().producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      state: () => 'running',
      logger: false,
    });
    apps.push(server);
    await server.ready();
    const big = await server.injectWS(`/v1/stream?key=${ACME}`);
    expect(server.websocketServer.clients.size).toBe(1);
    big.send(JSON.stringify({ type: 'subscribe', skillGroup: 'x'.repeat(5_000) }));
    await eventually(() => server.websocketServer.clients.size === 0, 'the connection to be dropped');
    expect(await metrics.registry.getSingleMetricAsString('sluice_server_limit_hits_total')).toContain('{limit="stream_frame"} 1');
  });

  it('answers pings within the budget and never a JSON `null` with a crash', async () => {
    const app = await streamApp(new RealtimeState(), { messagesPerMinute: 5 });
    apps.push(app);
    const ws = await app.injectWS(`/v1/stream?key=${ACME}`);
    const errors: string[] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; message?: string };
      if (m.type === 'error') errors.push(m.message!);
    });
    const pong = new Promise((r) => ws.once('pong', r));
    ws.ping('are you there');
    await pong;
    ws.send('null');
    await eventually(() => errors.length === 1, 'the error reply');
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    for (let i = 0; i < 4; i++) ws.ping();
    expect(await closed).toBe(1008);
  });

  it('skips a client that does not read, then cuts it; the slot is given back and others keep their pushes', async () => {
    const realtime = new RealtimeState();
    // Pushes of a few hundred skill groups: a client that does not read is soon far behind.
    for (let i = 0; i < 300; i++) realtime.apply(offered('acme', `c${i}`, `group-with-a-long-name-${i}`), NOW);
    const hits: StreamLimit[] = [];
    let server: WebSocket | undefined;
    let bufferedAtCut = -1;
    const app = await streamApp(realtime, {
      maxPerKey: 1,
      maxBufferedBytes: 4096,
      maxSkippedPushes: 3,
      refreshMs: 5,
      minIntervalMs: 0,
      onLimit: (l) => {
        hits.push(l);
        if (l === 'stream_slow') bufferedAtCut = server!.bufferedAmount;
      },
    });
    apps.push(app);
    app.websocketServer.once('connection', (ws: WebSocket) => (server = ws));
    const slow = await app.injectWS(`/v1/stream?key=${ACME}`);
    slow.pause();
    const reader = await app.injectWS(`/v1/stream?key=${ACME_2}`);
    let largest = 0;
    reader.on('message', (d) => (largest = Math.max(largest, d.toString().length)));
    const seen = pushes(reader);
    await eventually(() => hits.includes('stream_slow'), 'the slow client to be cut');
    await eventually(() => app.websocketServer.clients.size === 1, 'its slot to be given back');
    // What it did not read stayed bounded: at most the threshold plus the one push that crossed it.
    expect(bufferedAtCut).toBeGreaterThan(4096);
    expect(bufferedAtCut).toBeLessThanOrEqual(4096 + largest + 16);
    realtime.apply(offered('acme', 'late', 'pushed-after-the-cut'), NOW);
    await eventually(() => seen.has('pushed-after-the-cut'), 'a push to the reading client');
    (await app.injectWS(`/v1/stream?key=${ACME}`)).terminate();
    reader.terminate();
  });
});
