import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../adapters/bus/memory.js';
import { ManualClock } from '../../adapters/clock.js';
import { storeDeadLetters } from '../../pipelines/dead-letters.js';
import { EventPublisher } from '../../pipelines/publisher.js';
import { RealtimeState } from '../../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../../pipelines/store/memory.js';
import { parseApiKeys } from '../config.js';
import { Metrics } from '../metrics.js';
import { buildServer } from '../server.js';
import { WALLBOARD_CSP, WALLBOARD_PATHS } from './wallboard.js';

const KEY = 'wallboard-acme-viewer-01';

describe('GET /wallboard', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const bus = new MemoryBus();
    const store = new MemoryTelemetryStore();
    app = await buildServer({
      config: { apiKeys: parseApiKeys(`${KEY}:acme:viewer`), open: false, bodyLimitBytes: 65536, logLevel: 'silent' },
      clock: new ManualClock(0),
      metrics: new Metrics(),
      realtime: new RealtimeState(),
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      state: () => 'running',
      logger: false,
      wallboard: { serviceLevelMs: 30_000 },
    });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it('serves the page and its assets without a key, locked down by CSP, with the threshold filled in', async () => {
    const page = await app.inject({ url: '/wallboard' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(WALLBOARD_CSP);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).toContain('<meta name="sluice-service-level-ms" content="30000">');
    expect(page.body).not.toContain('{{');
    for (const path of WALLBOARD_PATHS.filter((p) => p !== '/wallboard')) {
      const asset = await app.inject({ url: path });
      expect(asset.statusCode, path).toBe(200);
      expect(asset.headers['content-type'], path).toMatch(path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
    }
    // Relative references, so the page also works behind a proxy that adds a path prefix.
    expect(page.body).toContain('href="wallboard/wallboard.css"');
    expect(page.body).toContain('src="wallboard/wallboard.js"');
    expect((await app.inject({ url: '/wallboard/wallboard.js' })).body).toContain("from './tiles.js'");
    const slash = await app.inject({ url: '/wallboard/' });
    expect([slash.statusCode, slash.headers.location]).toEqual([302, '../wallboard']);
  });

  it('is the only thing served without a key: the data behind it still needs one', async () => {
    expect((await app.inject({ url: '/wallboard/other.js' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/realtime/skillgroups' })).statusCode).toBe(401);
    await expect(app.injectWS('/v1/stream')).rejects.toThrow(/401/);
    expect((await app.inject({ url: '/v1/realtime/skillgroups', headers: { 'x-api-key': KEY } })).statusCode).toBe(200);
    const doc = (await app.inject({ url: '/openapi.json', headers: { 'x-api-key': KEY } })).json();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/wallboard'))).toEqual([]);
  });
});
