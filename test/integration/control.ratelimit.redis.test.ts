/**
 * The per-key rate limit of the control routes shared by two app instances
 * through a real redis-server (issue 14, point 4), and what happens when
 * Redis goes away: each instance keeps limiting on its own.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { systemClock } from '../../adapters/clock.js';
import { MemoryStateStore } from '../../adapters/state/memory.js';
import { calm } from '../../control/testing/harness.js';
import { controlRoutes } from '../../control/http/routes.js';
import { StaticRealtimeView } from '../../control/signals/snapshot.js';
import { createControl } from '../../control/wire.js';
import { startRedis } from '../../services/redis.js';
import { testServer } from '../support/server.js';

const ACME = 'acme-router-key-000001';
const GLOBEX = 'globex-router-key-00001';
/** The same two keys on every instance (the limit is counted per key across the fleet). */
const KEYS = { acme: { key: ACME, tenant: 'acme', role: 'router' }, globex: { key: GLOBEX, tenant: 'globex', role: 'router' } };

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
});

/** One app instance: the real auth and error plugins, the control routes, limits counted in Redis at `url` under `prefix`. */
async function instance(id: string, url: string, prefix: string): Promise<FastifyInstance> {
  const view = new StaticRealtimeView([calm('acme', 'care', Date.now()), calm('globex', 'sales', Date.now())]);
  const control = createControl({
    clock: systemClock,
    stateStore: new MemoryStateStore(),
    realtime: view,
    engineHealth: { consumerLagMs: () => 0, insertLatencyMs: () => 0 },
    instanceId: id,
    tenants: ['acme', 'globex'],
    rateLimit: { routePerSec: 5, apiPerSec: 50, windowMs: 60_000, redisUrl: url, prefix },
  });
  await control.start();
  const app = await testServer((a) => a.register(controlRoutes, control.routes), { tenants: [], keys: KEYS });
  cleanup.push(async () => {
    await app.close();
    await control.stop();
  });
  return app;
}

const route = (app: FastifyInstance, key: string, tenant: string, i: number) =>
  app.inject({
    method: 'POST',
    url: '/v1/route',
    headers: { 'x-api-key': key },
    payload: { tenant, callId: `c${i}`, skillGroup: tenant === 'acme' ? 'care' : 'sales', priority: 'vip' },
  });

describe('control rate limits on a real redis-server', () => {
  it('one key shares its limit across two instances; another key is answered on both', async () => {
    const prefix = `rl-${randomUUID()}:`;
    const [one, two] = [await instance('one', inject('redisUrl'), prefix), await instance('two', inject('redisUrl'), prefix)];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await route(i % 2 === 0 ? one : two, ACME, 'acme', i)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const refused = await route(two, ACME, 'acme', 99);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().error).toMatchObject({ code: 'SLUICE_ERR_RATE_LIMITED', retriable: true });
    // globex's key has its own count: five answers over both instances, then it is refused too.
    for (let i = 0; i < 5; i++)
      expect((await route(i % 2 === 0 ? one : two, GLOBEX, 'globex', i)).json()).toMatchObject({ target: 'agent' });
    expect((await route(two, GLOBEX, 'globex', 20)).statusCode).toBe(429);
  });

  it('while Redis is down each instance limits on its own, answering at once; back up, the count is shared again', async () => {
    const server = await startRedis();
    cleanup.push(() => server.stop());
    const prefix = `rl-${randomUUID()}:`;
    const [one, two] = [await instance('one', server.url, prefix), await instance('two', server.url, prefix)];
    await server.halt();
    const t0 = performance.now();
    const down = [];
    for (let i = 0; i < 7; i++) down.push((await route(one, ACME, 'acme', i)).statusCode);
    expect(down).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect((await route(two, ACME, 'acme', 50)).statusCode).toBe(200);
    // A request never waits for the missing Redis (the margin is for a loaded machine).
    expect(performance.now() - t0).toBeLessThan(5_000);
    await server.start();
    // ioredis reconnects within its 2 s backoff; then the next failure-free command goes to Redis again.
    await new Promise((r) => setTimeout(r, 4_000));
    const shared: number[] = [];
    for (let i = 0; i < 8; i++) shared.push((await route(i % 2 === 0 ? one : two, GLOBEX, 'globex', i)).statusCode);
    expect(shared).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });
});
