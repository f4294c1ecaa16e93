/**
 * Per-key rate limits on the control routes (issue 14, point 4): a flood from
 * one key gets 429 with Retry-After and the project's error body, while other
 * keys and tenants keep being answered. Built with the app's own auth and
 * error plugins, so the limit is shown to run after authentication.
 */
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { authHeader, testServer } from '../../test/support/server.js';
import { calm, harness } from '../testing/harness.js';
import type { Harness } from '../testing/harness.js';
import { controlRoutes } from './routes.js';
import type { ControlRoutesOptions } from './routes.js';

/** Labels of the test server's keys (`tenant:role`), and a second router key of acme. */
const ACME = 'acme:router';
const ACME2 = 'acme:second-router';
const GLOBEX = 'globex:router';
const PLATFORM = '*:router';
const VIEWER = 'acme:viewer';

let h: Harness | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await h?.svc.stop();
  app = undefined;
  h = undefined;
});

async function build(rateLimit: ControlRoutesOptions['rateLimit']): Promise<FastifyInstance> {
  h = harness({ tenants: ['acme', 'globex'] });
  h.view.set([calm('acme', 'care', h.clock.now()), calm('globex', 'sales', h.clock.now())]);
  await h.svc.start();
  const routes: ControlRoutesOptions = { service: h.svc, clock: h.clock, ...(rateLimit === undefined ? {} : { rateLimit }) };
  return (app = await testServer((a) => a.register(controlRoutes, routes), {
    tenants: ['acme', 'globex', '*'],
    keys: { [ACME2]: { tenant: 'acme', role: 'router' } },
  }));
}

const route = (label: string, tenant: string, i: number) =>
  app!.inject({
    method: 'POST',
    url: '/v1/route',
    headers: authHeader(app!, label),
    payload: { tenant, callId: `c${i}`, skillGroup: tenant === 'acme' ? 'care' : 'sales', priority: 'vip' },
  });

describe('control rate limits', () => {
  it('answers 429 with Retry-After and SLUICE_ERR_RATE_LIMITED to the flooding key only; other keys and tenants are answered', async () => {
    await build({ routePerSec: 20, apiPerSec: 5, windowMs: 60_000 });
    const hits: string[] = [];
    h!.svc.on('limit', (e) => hits.push(`${e.limit}:${e.tenant}`));
    const flood = await Promise.all(Array.from({ length: 50 }, (_, i) => route(ACME, 'acme', i)));
    expect(flood.filter((r) => r.statusCode === 200)).toHaveLength(20);
    const refused = flood.filter((r) => r.statusCode === 429);
    expect(refused).toHaveLength(30);
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused[0]!.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(refused[0]!.json()).toEqual({
      error: {
        code: 'SLUICE_ERR_RATE_LIMITED',
        message: expect.stringMatching(/^rate limit exceeded: 20 route requests per 60000 ms/),
        retriable: true,
      },
    });
    for (let i = 0; i < 10; i++) {
      expect((await route(GLOBEX, 'globex', i)).json()).toMatchObject({ target: 'agent', level: 0 });
      expect((await route(ACME2, 'acme', 100 + i)).statusCode).toBe(200);
    }
    expect(h!.svc.stats().rateLimited).toEqual({ route: 30, outcome: 0, api: 0 });
    expect(hits).toEqual(Array(30).fill('route:acme'));
  });

  it('keys the limit on the authenticated principal, never on the body, and checks the key first', async () => {
    await build({ routePerSec: 5, apiPerSec: 5, windowMs: 60_000 });
    // A platform key naming a different tenant in every body is still one key (tenants it does not serve: 422, counted too).
    const answers = await Promise.all(['t1', 't2', 't3', 't4', 't5', 't6', 't7', 't8'].map((t, i) => route(PLATFORM, t, i)));
    expect(answers.map((r) => r.statusCode)).toEqual([422, 422, 422, 422, 422, 429, 429, 429]);
    // Unauthenticated requests are refused by the auth hook (401) before any counting.
    const anon = await app!.inject({ method: 'POST', url: '/v1/route', payload: {} });
    expect([anon.statusCode, anon.json().error.code]).toEqual([401, 'SLUICE_ERR_UNAUTHENTICATED']);
  });

  it('counts outcomes apart from routes, and the other control routes under their own limit', async () => {
    await build({ routePerSec: 3, apiPerSec: 2, windowMs: 60_000 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await route(ACME, 'acme', i)).json().decisionId as string);
    expect((await route(ACME, 'acme', 9)).statusCode).toBe(429);
    for (const id of ids) {
      const r = await app!.inject({
        method: 'POST',
        url: `/v1/route/${id}/outcome`,
        headers: authHeader(app!, ACME),
        payload: { success: true, latencyMs: 5 },
      });
      expect(r.statusCode).toBe(204);
    }
    const state = () => app!.inject({ url: '/v1/control/state', headers: authHeader(app!, VIEWER) });
    expect([(await state()).statusCode, (await state()).statusCode, (await state()).statusCode]).toEqual([200, 200, 429]);
    expect(h!.svc.stats().rateLimited).toEqual({ route: 1, outcome: 0, api: 1 });
  });

  it('applies generous defaults when none are given, and none when turned off', async () => {
    await build(undefined);
    const many = await Promise.all(Array.from({ length: 300 }, (_, i) => route(ACME, 'acme', i)));
    expect(many.every((r) => r.statusCode === 200)).toBe(true);
    await app!.close();
    await h!.svc.stop();
    await build(false);
    const state = await Promise.all(
      Array.from({ length: 150 }, () => app!.inject({ url: '/v1/control/state', headers: authHeader(app!, VIEWER) })),
    );
    expect(state.every((r) => r.statusCode === 200)).toBe(true);
  });
});
