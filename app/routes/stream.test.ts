import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
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
import { buildServer } from '../server.js';
import { streamRoutes } from './stream.js';
import type { LevelSource, ScopeLevel } from './stream-levels.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const KEY = 'stream-acme-viewer-key-01';

/** Collects a socket's JSON messages from before it opens (pass `listen` as `onInit`). */
function collector() {
  const got: { type: string; [k: string]: unknown }[] = [];
  const listen = (ws: WebSocket) => ws.on('message', (d) => got.push(JSON.parse(d.toString())));
  const next = async (pred: (m: (typeof got)[number]) => boolean, ms = 3_000) => {
    const i = await eventually(
      () => got.findIndex(pred),
      (at) => at >= 0,
      () => `such a message; got ${JSON.stringify(got)}`,
      { timeoutMs: ms, intervalMs: 10 },
    );
    return got.splice(0, i + 1).at(-1)!;
  };
  return { next, listen };
}

describe('GET /v1/stream (WebSocket push)', () => {
  let app: FastifyInstance;
  const realtime = new RealtimeState();
  const call = (tenant: string, callId: string, skillGroup = 'sales') => ({
    v: 1 as const,
    tenant,
    source: 'skillgroup' as const,
    id: callId,
    ts: NOW - 3_000,
    body: { skillGroup, callId, type: 'OFFERED' as const },
  });

  beforeAll(async () => {
    const bus = new MemoryBus();
    const store = new MemoryTelemetryStore();
    app = await buildServer({
      config: { apiKeys: parseApiKeys(`${KEY}:acme:viewer`), open: false, bodyLimitBytes: 65536, logLevel: 'silent' },
      clock: new ManualClock(NOW),
      metrics: new Metrics(),
      realtime,
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      state: () => 'running',
      logger: false,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it("pushes the tenant's figures on connect and after changes, never another tenant's", async () => {
    realtime.apply(call('acme', 'c1'), NOW);
    realtime.apply(call('globex', 'g1'), NOW);
    const m = collector();
    const ws = await app.injectWS(`/v1/stream?key=${KEY}`, {}, { onInit: m.listen });
    expect(await m.next((x) => x.type === 'hello')).toEqual({ type: 'hello', tenant: 'acme', skillGroup: null });
    const first = await m.next((x) => x.type === 'skillgroups');
    expect(first.skillGroups).toEqual([
      expect.objectContaining({ tenant: 'acme', skillGroup: 'sales', callsWaiting: 1, longestWaitMs: 3_000 }),
    ]);
    expect(first.skillGroups).toEqual([expect.not.objectContaining({ control: expect.anything() })]);
    realtime.apply(call('acme', 'c2', 'support'), NOW);
    const second = await m.next((x) => x.type === 'skillgroups');
    expect((second.skillGroups as { skillGroup: string }[]).map((s) => s.skillGroup)).toEqual(['sales', 'support']);
    ws.send(JSON.stringify({ type: 'subscribe', skillGroup: 'support' }));
    const narrowed = await m.next((x) => x.type === 'skillgroups');
    expect((narrowed.skillGroups as { skillGroup: string }[]).map((s) => s.skillGroup)).toEqual(['support']);
    ws.send('not json');
    expect(await m.next((x) => x.type === 'error')).toMatchObject({ message: 'messages must be JSON' });
    ws.send(JSON.stringify({ type: 'subscribe', skillGroup: 42 }));
    expect((await m.next((x) => x.type === 'error')).message).toMatch(/expected/);
    ws.terminate();
  });

  it('refuses an upgrade without a valid key', async () => {
    await expect(app.injectWS('/v1/stream')).rejects.toThrow(/401/);
    await expect(app.injectWS('/v1/stream?key=wrong-key-wrong-key')).rejects.toThrow(/401/);
  });
});

describe('GET /v1/stream with the control loop in the process', () => {
  const realtime = new RealtimeState();
  let levels: ScopeLevel[] = [{ tenant: 'acme', level: 1, since: NOW - 60_000, reason: 'pressure 0.71 ≥ 0.70', pinned: false }];
  const listeners = new Set<(tenant: string) => void>();
  const source: LevelSource = {
    levels: (tenant) => levels.filter((l) => tenant === undefined || l.tenant === tenant),
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    await app.register(websocket);
    await app.register(authPlugin, { keys: parseApiKeys(`${KEY}:acme:viewer`), open: false });
    await app.register(streamRoutes, { realtime, clock: new ManualClock(NOW), levels: source, refreshMs: 60_000 });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it("carries each skill group's level and reason, and pushes when a level changes", async () => {
    realtime.apply(
      {
        v: 1,
        tenant: 'acme',
        source: 'skillgroup',
        id: 'c1',
        ts: NOW - 1_000,
        body: { skillGroup: 'sales', callId: 'c1', type: 'OFFERED' },
      },
      NOW,
    );
    const m = collector();
    const ws = await app.injectWS(`/v1/stream?key=${KEY}`, {}, { onInit: m.listen });
    const first = await m.next((x) => x.type === 'skillgroups');
    expect(first.skillGroups).toEqual([
      expect.objectContaining({
        skillGroup: 'sales',
        control: { level: 1, reason: 'pressure 0.71 ≥ 0.70', since: NOW - 60_000, scope: 'tenant', pinned: false },
      }),
    ]);
    levels = [
      ...levels,
      { tenant: 'acme', skillGroup: 'sales', level: 3, since: NOW, reason: 'pinned to L3 for 60000 ms: CTI down', pinned: true },
    ];
    for (const l of listeners) l('acme');
    const second = await m.next((x) => x.type === 'skillgroups');
    expect(second.skillGroups).toEqual([
      expect.objectContaining({
        control: { level: 3, reason: 'pinned to L3 for 60000 ms: CTI down', since: NOW, scope: 'skillGroup', pinned: true },
      }),
    ]);
    ws.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(listeners.size).toBe(0);
  });
});

describe('the key in the query', () => {
  it('never reaches the request log', async () => {
    const lines: string[] = [];
    const bus = new MemoryBus();
    const store = new MemoryTelemetryStore();
    const app = await buildServer({
      config: { apiKeys: parseApiKeys(`${KEY}:acme:viewer`), open: false, bodyLimitBytes: 65536, logLevel: 'debug' },
      clock: new ManualClock(NOW),
      metrics: new Metrics(),
      realtime: new RealtimeState(),
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      state: () => 'running',
      logger: { level: 'debug', stream: { write: (l: string) => lines.push(l) } },
    });
    await app.ready();
    await expect(app.injectWS('/v1/stream?tenant=acme&key=a-secret-key-that-is-wrong')).rejects.toThrow(/401/);
    await app.inject({ url: `/v1/realtime/skillgroups?key=${KEY}` });
    await app.close();
    const requests = lines.filter((l) => l.includes('"msg":"request"'));
    expect(requests.map((l) => JSON.parse(l).url)).toContain('/v1/realtime/skillgroups?key=[redacted]');
    expect(lines.join('\n')).not.toMatch(/a-secret-key|stream-acme-viewer/);
  });
});
